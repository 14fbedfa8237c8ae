/** Plazbot GET /api/user/email: a user of the token's company, by email. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { assertError, PLAZBOT_ENV, withTenants } from './helpers.js';

forEachStore('Plazbot /api/user', (kind) => {
  const srv = withApp(kind, PLAZBOT_ENV);
  const { tokens, create, body } = withTenants(srv);
  before(async () => {
    // As sign-up leaves it: a user of wabotify, taken@example.com.
    assert.equal((await create(tokens.wabotify, body('taken@example.com'))).status, 200);
  });

  describe('GET /api/user/email', () => {
    const byEmail = (token: string | undefined, q: string) =>
      srv.call('GET', `/api/user/email${q}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    it("finds a user of the token's company, and no one else's", async () => {
      const r = await byEmail(tokens.wabotify, '?email=%20TAKEN@example.com');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.data.user.email, 'taken@example.com');
      assert.equal(r.body.data.user.company, 'wabotify');
      assertError(await byEmail(tokens.plazbot, '?email=taken@example.com'), 404, 'USER_NOT_FOUND');
      assertError(await byEmail(tokens.wabotify, '?email=nobody@example.com'), 404, 'USER_NOT_FOUND');
    });
    it('answers 401 without a token and 400 without a valid email', async () => {
      assertError(await byEmail(undefined, '?email=taken@example.com'), 401);
      assertError(await byEmail(tokens.wabotify, ''), 400, 'VALIDATION_FAILED');
      assertError(await byEmail(tokens.wabotify, '?email=nope'), 400, 'VALIDATION_FAILED');
    });
  });
});
