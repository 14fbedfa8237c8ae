/** Plazbot login, sessions and /api/user/me, and the failed-login limit per email. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { assertError, ISO, itKeepsNoPlaintextSecret, PASSWORD, PLAZBOT_ENV, withTenants } from './helpers.js';

forEachStore('Plazbot /api/user', (kind) => {
  const srv = withApp(kind, PLAZBOT_ENV);
  const { tokens, secrets, create, body, loginAs, me } = withTenants(srv);
  before(async () => {
    // As sign-up leaves it: a user of wabotify, taken@example.com.
    assert.equal((await create(tokens.wabotify, body('taken@example.com'))).status, 200);
  });

  describe('login and sessions', () => {
    before(async () => {
      assert.equal((await create(tokens.wabotify, body('login@example.com', { name: 'Lía', lastName: 'Núñez', defaultStartWeek: 1 }))).status, 200);
    });

    it('logs in, answers the token and the profile, and /me returns it', async () => {
      const r = await loginAs(' LOGIN@example.com', PASSWORD);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.success, true);
      assert.equal(r.body.code, 200);
      assert.equal(r.body.errorCode, null);
      assert.equal(r.body.message, 'Login successful');
      assert.equal(r.body.data.expiresIn, 3600);
      assert.match(r.body.data.token, /^rss_[A-Za-z0-9_-]{43}$/);
      secrets.add(r.body.data.token);
      const u = r.body.data.user;
      assert.deepEqual(
        { ...u, id: undefined, creationDate: undefined },
        {
          id: undefined,
          name: 'Lía',
          lastName: 'Núñez',
          email: 'login@example.com',
          company: 'wabotify',
          role: 'user',
          avatar: null,
          defaultStartWeek: 1,
          isExternalCreation: true,
          flagVerifiedEmail: true,
          creationDate: undefined,
        },
      );
      assert.match(u.creationDate, ISO);
      assert.equal(r.headers.get('cache-control'), 'no-store');
      const m = await me(r.body.data.token);
      assert.equal(m.status, 200, m.text);
      assert.deepEqual(m.body.data.user, u);
    });

    it('answers the same 401 to a wrong password and an unknown email, each after one argon2 verification', async () => {
      // The same work, not a stopwatch (timed assertions are noise on a shared machine): each answer
      // costs exactly one argon2 verification, counted by the process's own metric.
      const verifications = async () => {
        const m = await srv.call('GET', '/metrics');
        return Number(/^roster_password_verifications_total (\d+)$/m.exec(m.text)?.[1]);
      };
      const cost = async (email: string) => {
        const before = await verifications();
        const r = await loginAs(email, 'not-the-password');
        return { r, verifications: (await verifications()) - before };
      };
      const wrong = await cost('taken@example.com');
      const unknown = await cost('nobody@example.com');
      for (const { r } of [wrong, unknown]) assertError(r, 401, 'INVALID_CREDENTIALS');
      assert.deepEqual(wrong.r.body, unknown.r.body);
      assert.equal(wrong.verifications, 1);
      assert.equal(unknown.verifications, 1);
    });

    it('answers 429 with Retry-After past the failure limit per email, even to the right password', async () => {
      assert.equal((await create(tokens.wabotify, body('limited@example.com'))).status, 200);
      for (let i = 0; i < 3; i++) assertError(await loginAs('limited@example.com', `wrong-${i}`), 401);
      const blocked = await loginAs('limited@example.com', 'wrong-again');
      assertError(blocked, 429, 'TOO_MANY_LOGIN_ATTEMPTS');
      const retry = Number(blocked.headers.get('retry-after'));
      assert.ok(retry >= 1 && retry <= 60, String(retry));
      assertError(await loginAs('LIMITED@example.com', PASSWORD), 429, 'TOO_MANY_LOGIN_ATTEMPTS');
      // Another email from the same client is not held back.
      assert.equal((await loginAs('login@example.com', PASSWORD)).status, 200);
    });

    it('lets no more than the limit of concurrent wrong guesses at one email through', async () => {
      assert.equal((await create(tokens.wabotify, body('burst@example.com'))).status, 200);
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => loginAs('burst@example.com', `guess-${i}`)));
      const statuses = replies.map((r) => r.status).sort();
      assert.deepEqual(statuses, [401, 401, 401, ...Array<number>(17).fill(429)]);
      assertError(await loginAs('burst@example.com', PASSWORD), 429);
    });

    it('clears the count of an email after a correct password', async () => {
      assert.equal((await create(tokens.wabotify, body('clears@example.com'))).status, 200);
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 2; i++) assertError(await loginAs('clears@example.com', `wrong-${i}`), 401);
        assert.equal((await loginAs('clears@example.com', PASSWORD)).status, 200);
      }
    });

    it('answers 401 to /me without a valid, live session token', async () => {
      assertError(await srv.call('GET', '/api/user/me'), 401, 'INVALID_SESSION');
      assertError(await me('rss_' + 'x'.repeat(43)), 401, 'INVALID_SESSION');
      assertError(await me(tokens.wabotify), 401, 'INVALID_SESSION');
      const r = await loginAs('login@example.com', PASSWORD);
      const token = r.body.data.token as string;
      secrets.add(token);
      await srv.db.kysely.updateTable('sessions').set({ expires_at: '2000-01-01T00:00:00.000Z' }).execute();
      assertError(await me(token), 401, 'INVALID_SESSION');
      // A session token does not create users.
      assertError(await create(token, body('sess@example.com')), 401);
    });

    it('answers 400 for a login body of the wrong shape', async () => {
      assertError(await srv.call('POST', '/api/user/login', { json: { email: 'a@b.co' } }), 400, 'VALIDATION_FAILED');
      assertError(await srv.call('POST', '/api/user/login', { json: { email: 5, password: 'x' } }), 400);
    });
  });

  itKeepsNoPlaintextSecret(srv, secrets, 5);
});
