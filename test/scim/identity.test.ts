/**
 * One identity across the APIs: a user an identity provider pushes over SCIM logs in through the
 * Plazbot API and is the user Chatwoot's Platform API shows once linked; deactivation refuses their
 * logins everywhere and ends their sessions; the events say what happened and who did it.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { listEvents } from '../../src/store/events.js';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';
import { GOOD_PASSWORD, GROUP_SCHEMA, oktaUser, patchOp, scimClient, scimTenant, uniqueEmail, type Scim, type ScimTenant } from './helpers.js';

forEachStore('SCIM: one identity with the Plazbot and Chatwoot APIs', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0' });
  let acme: ScimTenant;
  let scim: Scim;
  let platformToken: string;

  before(async () => {
    acme = await scimTenant(srv, 'acme');
    scim = scimClient(srv, acme.token);
    platformToken = (await servicesOf(srv.db).credentials.createToken('platform_app', { companyCode: 'acme', name: 'Chatwoot' })).token;
  });

  const login = (email: string, password = GOOD_PASSWORD) => srv.call('POST', '/api/user/login', { json: { email, password } });
  const me = (session: string) => srv.call('GET', '/api/user/me', { headers: { authorization: `Bearer ${session}` } });
  const chatwoot = (method: string, path: string, json?: unknown) =>
    srv.call(method, `/platform/api/v1${path}`, { headers: { api_access_token: platformToken }, ...(json !== undefined && { json }) });

  describe('a user created over SCIM', () => {
    let id: string;
    let email: string;
    let session: string;

    before(async () => {
      email = uniqueEmail('one.identity');
      const r = await scim('POST', '/Users', oktaUser(email, { name: { givenName: 'Ada', familyName: 'Lovelace' }, displayName: 'Ada L.' }));
      assert.equal(r.status, 201, r.text);
      id = r.body.id;
    });

    it('logs in through the Plazbot login with the password SCIM set', async () => {
      const r = await login(email.toUpperCase());
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.data.user.id, id);
      assert.equal(r.body.data.user.email, email);
      assert.equal(r.body.data.user.name, 'Ada');
      assert.equal(r.body.data.user.lastName, 'Lovelace');
      assert.equal(r.body.data.user.company, 'acme');
      session = r.body.data.token;
      assert.equal((await me(session)).status, 200);
    });

    it("appears in Chatwoot's GET /users/:id for the company's platform app once linked by POST /users with its email", async () => {
      assert.equal((await chatwoot('GET', `/users/${id}`)).status, 401, 'not linked to this app yet (Chatwoot: non-permissible)');
      const link = await chatwoot('POST', '/users', { name: 'ignored', email: email.toUpperCase() });
      assert.equal(link.status, 200, link.text);
      assert.equal(link.body.id, Number(id), 'the same user, not a new one');
      const r = await chatwoot('GET', `/users/${id}`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.email, email);
      assert.equal(r.body.name, 'Ada');
      assert.equal(r.body.display_name, 'Ada L.');
      assert.equal(r.body.confirmed, true);
    });

    it('shows through SCIM what Chatwoot changed, and through Chatwoot what SCIM changed', async () => {
      assert.equal((await chatwoot('PATCH', `/users/${id}`, { display_name: 'Countess' })).status, 200);
      assert.equal((await scim('GET', `/Users/${id}`)).body.displayName, 'Countess');
      assert.equal((await scim('PATCH', `/Users/${id}`, patchOp({ op: 'replace', path: 'name.givenName', value: 'Augusta' }))).status, 200);
      assert.equal((await chatwoot('GET', `/users/${id}`)).body.name, 'Augusta');
    });

    it('joins a Chatwoot account through a SCIM Group, and Chatwoot shows the membership', async () => {
      const g = await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Analysts', members: [{ value: id }] });
      assert.equal(g.status, 201, g.text);
      const r = await chatwoot('GET', `/users/${id}`);
      assert.deepEqual(
        r.body.accounts.map((a: any) => [a.id, a.name, a.role]),
        [[Number(g.body.id), 'Analysts', 'agent']],
      );
    });

    it('deactivated: Plazbot login refused, sessions ended, no Chatwoot login link; still listed', async () => {
      const off = await scim('PATCH', `/Users/${id}`, patchOp({ op: 'Replace', path: 'active', value: 'False' }));
      assert.equal(off.status, 200, off.text);
      assert.equal((await me(session)).status, 401, 'the session ended');
      const r = await login(email);
      assert.equal(r.status, 403, r.text);
      assert.equal(r.body.errorCode, 'USER_DEACTIVATED');
      const wrong = await login(email, 'not-the-password-1');
      assert.equal(wrong.status, 401, 'a wrong password learns nothing about the state');
      const link = await chatwoot('GET', `/users/${id}/login`);
      assert.equal(link.status, 422, link.text);
      assert.equal((await chatwoot('GET', `/users/${id}`)).status, 200, 'kept');
      const list = await scim('GET', `/Users?filter=${encodeURIComponent('active eq false')}`);
      assert.ok(list.body.Resources.some((u: any) => u.id === id));
    });

    it('reactivated: logs in again', async () => {
      assert.equal((await scim('PATCH', `/Users/${id}`, patchOp({ op: 'replace', value: { active: true } }))).status, 200);
      const r = await login(email);
      assert.equal(r.status, 200, r.text);
      assert.equal((await chatwoot('GET', `/users/${id}/login`)).status, 200);
    });

    it('a password set over SCIM ends the sessions and the new one logs in', async () => {
      const s = (await login(email)).body.data.token;
      const r = await scim('PATCH', `/Users/${id}`, patchOp({ op: 'replace', path: 'password', value: 'An0ther-g00d-passphrase' }));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.password, undefined);
      assert.equal((await me(s)).status, 401);
      assert.equal((await login(email)).status, 401);
      assert.equal((await login(email, 'An0ther-g00d-passphrase')).status, 200);
    });

    it("deleted over SCIM: gone from Chatwoot's API too, and the email is free again", async () => {
      assert.equal((await scim('DELETE', `/Users/${id}`)).status, 204);
      assert.equal((await chatwoot('GET', `/users/${id}`)).status, 404);
      assert.equal((await login(email, 'An0ther-g00d-passphrase')).status, 401);
      assert.equal((await scim('POST', '/Users', oktaUser(email))).status, 201);
    });
  });

  it("records the same events as the other APIs, in the write's transaction, with the SCIM token as actor", async () => {
    const email = uniqueEmail('events');
    const u = await scim('POST', '/Users', oktaUser(email));
    const uid = u.body.id;
    await scim('PATCH', `/Users/${uid}`, patchOp({ op: 'replace', path: 'displayName', value: 'Evented' }));
    await scim('PATCH', `/Users/${uid}`, patchOp({ op: 'replace', path: 'active', value: false }));
    await scim('PATCH', `/Users/${uid}`, patchOp({ op: 'replace', path: 'active', value: true }));
    await scim('PATCH', `/Users/${uid}`, patchOp({ op: 'replace', path: 'displayName', value: 'Evented' })); // no change: no event
    const g = await scim('POST', '/Groups', { displayName: 'Evented group', members: [{ value: uid }] });
    await scim('PATCH', `/Groups/${g.body.id}`, patchOp({ op: 'replace', path: 'displayName', value: 'Renamed' }, { op: 'remove', path: 'members' }));
    await scim('DELETE', `/Groups/${g.body.id}`);
    await scim('DELETE', `/Users/${uid}`);
    const failed = await scim('POST', '/Users', oktaUser(email, { userName: `x${email}`, emails: [{ value: 'bad', primary: true }] }));
    assert.equal(failed.status, 400);

    const events = (await listEvents(srv.db.kysely, { companyId: acme.companyId, limit: 100 }))
      .reverse()
      .filter(
        (e) =>
          (e.target_kind === 'user' && e.target_id === uid) || (e.target_kind === 'account' && e.target_id === g.body.id) || e.target_kind === 'account_user',
      );
    const mine = events.filter((e) => e.target_kind !== 'account_user' || JSON.parse(e.data).accountId === Number(g.body.id));
    assert.deepEqual(
      mine.map((e) => e.type),
      [
        'user.created',
        'user.updated',
        'user.deactivated',
        'user.reactivated',
        'account.created',
        'account_user.created',
        'account.updated',
        'account_user.deleted',
        'account.deleted',
        'user.deleted',
      ],
    );
    for (const e of mine) {
      assert.equal(e.actor_kind, 'scim_token');
      assert.equal(e.actor_id, acme.tokenId);
      assert.equal(e.company_id, acme.companyId);
      assert.notEqual(e.request_id, null);
      assert.doesNotMatch(e.data, /password|Tr0ub4dor/i);
    }
    const created = JSON.parse(mine[0]!.data);
    assert.equal(created.userName, email);
  });
});
