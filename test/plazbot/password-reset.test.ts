/** Plazbot password reset: the code mailed on request, the reset itself, and the request limit per client. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mintEmailToken } from '../../src/identity/email-tokens.js';
import { forEachStore } from '../fixtures/databases.js';
import type { Reply } from '../fixtures/http.js';
import { withServer } from '../fixtures/server.js';
import { resetCodeOf, startSmtp, type TestSmtp } from '../fixtures/smtp.js';
import { assertError, itKeepsNoPlaintextSecret, mailingEnv, PASSWORD, withTenants } from './helpers.js';

forEachStore('Plazbot /api/user', (kind) => {
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startSmtp();
  });
  // The real server: its outbox sender mails through the SMTP server above.
  const srv = withServer(kind, () => mailingEnv(smtp.url));
  after(() => smtp.close());
  const { tokens, secrets, create, body, loginAs, me, userRow } = withTenants(srv);
  before(async () => {
    // As sign-up leaves it: a user of wabotify, taken@example.com.
    assert.equal((await create(tokens.wabotify, body('taken@example.com'))).status, 200);
  });

  describe('password reset', () => {
    const NEW_PASSWORD = 'Another-Long-Passphrase-42';
    const sendReset = (json: unknown) => srv.call('POST', '/api/user/sendEmailToResetPassword', { json });
    const reset = (json: unknown) => srv.call('POST', '/api/user/resetPassword', { json });

    it('answers the same whether or not the email exists, and mails a code only when it does', async () => {
      assert.equal((await create(tokens.wabotify, body('reset.me@example.com'))).status, 200);
      const known = await sendReset({ email: 'Reset.Me@example.com', company: 'wabotify' });
      const unknown = await sendReset({ email: 'nobody.here@example.com', company: 'wabotify' });
      const otherCompany = await sendReset({ email: 'reset.me@example.com', company: 'globex' });
      for (const r of [known, unknown, otherCompany]) {
        assert.equal(r.status, 200);
        assert.deepEqual(r.body, known.body);
      }
      assert.equal(known.body.success, true);
      await smtp.waitFor((m) => m.to.includes('reset.me@example.com'));
      await new Promise((res) => setTimeout(res, 300));
      assert.ok(!smtp.mails.some((m) => m.to.includes('nobody.here@example.com')));
      assert.equal(smtp.mails.filter((m) => m.to.includes('reset.me@example.com')).length, 1, 'no mail for another company');
    });

    it('resets the password with the mailed code, once, under the policy, and ends the old sessions', async () => {
      const session = (await loginAs('reset.me@example.com', PASSWORD)).body.data.token as string;
      secrets.add(session);
      const mail = await smtp.waitFor((m) => m.to.includes('reset.me@example.com'));
      const code = resetCodeOf(mail);
      secrets.add(code).add(NEW_PASSWORD);

      assertError(await reset({ email: 'reset.me@example.com', newPassword: NEW_PASSWORD, verificationId: 'A'.repeat(43) }), 400, 'INVALID_VERIFICATION_CODE');
      assertError(await reset({ email: 'taken@example.com', newPassword: NEW_PASSWORD, verificationId: code }), 400, 'INVALID_VERIFICATION_CODE');
      const weak = await reset({ email: 'reset.me@example.com', newPassword: 'password1', verificationId: code });
      assertError(weak, 422, 'PASSWORD_TOO_COMMON');
      assert.deepEqual(
        weak.body.errors.map((e: any) => e.field),
        ['newPassword'],
      );
      assertError(await reset({ email: 'reset.me@example.com', newPassword: 5, verificationId: code }), 400, 'VALIDATION_FAILED');

      const ok = await reset({ email: ' RESET.ME@example.com', newPassword: NEW_PASSWORD, verificationId: code });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.success, true);
      assertError(
        await reset({ email: 'reset.me@example.com', newPassword: 'Yet-Another-Passphrase-7', verificationId: code }),
        400,
        'INVALID_VERIFICATION_CODE',
      );
      assertError(await me(session), 401);
      assertError(await loginAs('reset.me@example.com', PASSWORD), 401);
      const login = await loginAs('reset.me@example.com', NEW_PASSWORD);
      assert.equal(login.status, 200);
      secrets.add(login.body.data.token);
    });

    it('refuses an expired code', async () => {
      const row = await userRow('reset.me@example.com');
      const code = await mintEmailToken(srv.db, row!.id, 'reset_password', new Date(Date.now() - 2 * 3_600_000));
      secrets.add(code);
      assertError(await reset({ email: 'reset.me@example.com', newPassword: 'Fresh-Passphrase-99', verificationId: code }), 400, 'INVALID_VERIFICATION_CODE');
    });

    it('answers 400 to reset bodies of the wrong shape', async () => {
      assertError(await sendReset({}), 400, 'VALIDATION_FAILED');
      assertError(await sendReset({ email: 'not-an-email' }), 400);
      assertError(await reset({ email: 'a@b.co' }), 400);
    });
  });

  it('answers 429 to a client past its password reset requests, whatever the emails', async () => {
    let last: Reply | undefined;
    for (let i = 0; i < 40 && last?.status !== 429; i++) {
      last = await srv.call('POST', '/api/user/sendEmailToResetPassword', { json: { email: `spray-${i}@example.com` } });
      assert.ok(last.status === 200 || last.status === 429, last.text);
    }
    assertError(last!, 429, 'TOO_MANY_REQUESTS');
    assert.ok(Number(last!.headers.get('retry-after')) >= 1);
  });

  itKeepsNoPlaintextSecret(srv, secrets, 8);
});
