/** Plazbot email verification: the link mailed at sign-up and again at login, and the verify-email page. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mintEmailToken } from '../../src/identity/email-tokens.js';
import { forEachStore } from '../fixtures/databases.js';
import { withApp, withServer } from '../fixtures/server.js';
import { startSmtp, verifyTokenOf, type TestSmtp } from '../fixtures/smtp.js';
import { assertError, itKeepsNoPlaintextSecret, mailingEnv, PASSWORD, withTenants } from './helpers.js';
import { servicesOf } from '../fixtures/services.js';

forEachStore('Plazbot /api/user', (kind) => {
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startSmtp();
  });
  // The real server: its outbox sender mails through the SMTP server above.
  const srv = withServer(kind, () => mailingEnv(smtp.url));
  after(() => smtp.close());
  const { tokens, secrets, create, body, loginAs, userRow } = withTenants(srv);

  describe('email verification', () => {
    it('creates users of a company that requires it unverified, mails a link, and the link verifies once', async () => {
      const r = await create(tokens.plazbot, body('verify.me@example.com', { company: 'plazbot' }));
      assert.equal(r.status, 200, r.text);
      assert.equal((await userRow('verify.me@example.com'))!.email_verified_at, null);
      assertError(await loginAs('verify.me@example.com', PASSWORD), 403, 'EMAIL_NOT_VERIFIED');

      const mail = await smtp.waitFor((m) => m.to.includes('verify.me@example.com'));
      assert.match(mail.raw, /^From: Roster Test <no-reply@roster\.test>/m);
      const token = verifyTokenOf(mail);
      secrets.add(token);
      const link = `/api/user/verify-email?token=${token}`;
      const ok = await srv.call('GET', link);
      assert.equal(ok.status, 200);
      assert.match(ok.headers.get('content-type')!, /^text\/html/);
      assert.match(ok.text, /Email verified/);
      const again = await srv.call('GET', link);
      assert.equal(again.status, 410);
      assert.match(again.text, /already used/);

      const login = await loginAs('verify.me@example.com', PASSWORD);
      assert.equal(login.status, 200, login.text);
      assert.equal(login.body.data.user.flagVerifiedEmail, true);
      secrets.add(login.body.data.token);
    });

    it('answers 4xx pages, never 500, for unknown, malformed and expired links', async () => {
      for (const q of ['', '?token=', '?token=abc', `?token=${'A'.repeat(43)}`, '?token=%00%ff', '?token[]=x&token=y', `?token=${'x'.repeat(5000)}`]) {
        const r = await srv.call('GET', `/api/user/verify-email${q}`);
        assert.ok(r.status >= 400 && r.status < 500, `${q}: ${r.status}`);
      }
      const r = await create(tokens.plazbot, body('expired.link@example.com', { company: 'plazbot' }));
      assert.equal(r.status, 200);
      const old = await mintEmailToken(srv.db, Number(r.body.data.userId), 'verify_email', new Date(Date.now() - 25 * 3_600_000));
      secrets.add(old);
      const expired = await srv.call('GET', `/api/user/verify-email?token=${old}`);
      assert.equal(expired.status, 410);
      assert.match(expired.text, /expired/);
    });

    it('sends a new link when an unverified user with no live link logs in', async () => {
      const r = await create(tokens.plazbot, body('relink@example.com', { company: 'plazbot' }));
      assert.equal(r.status, 200);
      const first = await smtp.waitFor((m) => m.to.includes('relink@example.com'));
      await srv.db.kysely
        .updateTable('email_tokens')
        .set({ expires_at: '2000-01-01T00:00:00.000Z' })
        .where('user_id', '=', Number(r.body.data.userId))
        .execute();
      const denied = await loginAs('relink@example.com', PASSWORD);
      assertError(denied, 403, 'EMAIL_NOT_VERIFIED');
      assert.match(denied.body.message, /new verification link/);
      const second = await smtp.waitFor((m) => m.to.includes('relink@example.com') && m !== first);
      const token = verifyTokenOf(second);
      secrets.add(verifyTokenOf(first)).add(token);
      assert.equal((await srv.call('GET', `/api/user/verify-email?token=${token}`)).status, 200);
      assert.equal((await loginAs('relink@example.com', PASSWORD)).status, 200);
    });
  });

  itKeepsNoPlaintextSecret(srv, secrets, 8);
});

forEachStore('Plazbot verification mail under concurrent logins', (kind) => {
  // No SMTP: mail waits in the outbox, where the test can count it.
  const srv = withApp(kind, { LOGIN_MAX_FAILURES: '100', LOGIN_MAX_FAILURES_PER_IP: '100' });
  let token: string;
  before(async () => {
    await servicesOf(srv.db).companies.create({ code: 'strict', name: 'Strict', requireEmailVerification: true });
    token = (await servicesOf(srv.db).credentials.createToken('api_token', { companyCode: 'strict' })).token;
  });

  it('queues exactly one new verification mail for 20 concurrent correct logins of an unverified user', async () => {
    const r = await srv.call('POST', '/api/user', {
      headers: { authorization: `Bearer ${token}` },
      json: { name: 'A', lastName: 'B', email: 'race@example.com', password: PASSWORD, company: 'strict' },
    });
    assert.equal(r.status, 200, r.text);
    const userId = Number(r.body.data.userId);
    const waiting = () =>
      srv.db.kysely
        .selectFrom('outbox')
        .select('id')
        .where('user_id', '=', userId)
        .where('template', '=', 'verify_email')
        .where('status', 'in', ['pending', 'sending'])
        .execute();
    assert.equal((await waiting()).length, 1);
    // The first link went out and was lost: the next logins may queue one more, and only one.
    await srv.db.kysely.updateTable('outbox').set({ status: 'sent' }).where('user_id', '=', userId).execute();
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => srv.call('POST', '/api/user/login', { json: { email: 'race@example.com', password: PASSWORD } })),
    );
    for (const x of replies) assertError(x, 403, 'EMAIL_NOT_VERIFIED');
    assert.equal(replies.filter((x) => /new verification link/.test(x.body.message)).length, 1);
    assert.equal((await waiting()).length, 1);
  });
});
