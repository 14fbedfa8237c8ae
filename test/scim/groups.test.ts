/** /scim/v2/Groups: the company's Chatwoot accounts, their members the account users, on each store. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { listAccountUsers } from '../../src/store/account-users.js';
import { findAccount } from '../../src/store/accounts.js';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { GROUP_SCHEMA, oktaUser, patchOp, scimClient, scimTenant, uniqueEmail, type Scim, type ScimTenant } from './helpers.js';

forEachStore('SCIM Groups', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0', PUBLIC_URL: 'https://roster.example.test' });
  let acme: ScimTenant;
  let scim: Scim;
  let other: Scim;
  const users: string[] = [];
  let foreignUser: string;

  before(async () => {
    acme = await scimTenant(srv, 'acme');
    scim = scimClient(srv, acme.token);
    other = scimClient(srv, (await scimTenant(srv, 'globex')).token);
    for (let i = 0; i < 3; i++) users.push((await scim('POST', '/Users', oktaUser(uniqueEmail(`member${i}`), { displayName: `Member ${i}` }))).body.id);
    foreignUser = (await other('POST', '/Users', oktaUser(uniqueEmail('foreign')))).body.id;
  });

  const memberIds = (g: any): string[] => (g.members ?? []).map((m: any) => m.value).sort();
  const roles = async (groupId: string) => Object.fromEntries((await listAccountUsers(srv.db.kysely, Number(groupId))).map((m) => [String(m.user_id), m.role]));

  describe("the validators' flow", () => {
    let id: string;

    it('creates a group with a member: an account of the company, the member an agent', async () => {
      const r = await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Support', externalId: 'okta-g1', members: [{ value: users[0] }] });
      assert.equal(r.status, 201, r.text);
      id = r.body.id;
      assert.deepEqual(r.body.schemas, [GROUP_SCHEMA]);
      assert.equal(r.body.displayName, 'Support');
      assert.equal(r.body.externalId, 'okta-g1');
      assert.deepEqual(r.body.members, [{ value: users[0], $ref: `https://roster.example.test/scim/v2/Users/${users[0]}`, display: 'Member 0', type: 'User' }]);
      assert.equal(r.body.meta.resourceType, 'Group');
      assert.equal(r.headers.get('location'), `https://roster.example.test/scim/v2/Groups/${id}`);
      const account = await findAccount(srv.db.kysely, Number(id));
      assert.equal(account?.company_id, acme.companyId);
      assert.equal(account?.name, 'Support');
      assert.deepEqual(await roles(id), { [users[0]!]: 'agent' });
    });

    it('finds it by displayName eq and by externalId', async () => {
      const r = await scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "support"')}`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(
        r.body.Resources.map((g: any) => g.id),
        [id],
      );
      const ext = await scim('GET', `/Groups?filter=${encodeURIComponent('externalId eq "okta-g1"')}`);
      assert.equal(ext.body.totalResults, 1);
    });

    it('adds members with PATCH (Okta: op add, path members, a value list)', async () => {
      const r = await scim(
        'PATCH',
        `/Groups/${id}`,
        patchOp({ op: 'add', path: 'members', value: [{ value: users[1], display: 'whatever' }, { value: users[2] }] }),
      );
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(memberIds(r.body), [...users].sort());
    });

    it('removes a member by filter path (Okta, Entra) and by a value list (Entra)', async () => {
      const a = await scim('PATCH', `/Groups/${id}`, patchOp({ op: 'remove', path: `members[value eq "${users[1]}"]` }));
      assert.equal(a.status, 200, a.text);
      assert.deepEqual(memberIds(a.body), [users[0], users[2]].sort());
      const b = await scim('PATCH', `/Groups/${id}`, { schemas: [], Operations: [{ op: 'Remove', path: 'members', value: [{ value: users[2] }] }] });
      assert.equal(b.status, 400, 'schemas, when sent, must name PatchOp');
      const c = await scim('PATCH', `/Groups/${id}`, patchOp({ op: 'Remove', path: 'members', value: [{ value: users[2] }] }));
      assert.equal(c.status, 200, c.text);
      assert.deepEqual(memberIds(c.body), [users[0]]);
      // The users stay.
      assert.equal((await scim('GET', `/Users/${users[2]}`)).status, 200);
    });

    it('renames it with PATCH (Entra: replace with a value object; Okta: path displayName)', async () => {
      const r = await scim('PATCH', `/Groups/${id}`, patchOp({ op: 'Replace', value: { id, displayName: 'Support EMEA' } }));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.displayName, 'Support EMEA');
      const s = await scim('PATCH', `/Groups/${id}`, patchOp({ op: 'replace', path: 'displayName', value: 'Support LATAM' }));
      assert.equal(s.body.displayName, 'Support LATAM');
      assert.equal((await findAccount(srv.db.kysely, Number(id)))?.name, 'Support LATAM');
    });

    it('replaces members with PATCH replace, keeping a role already set', async () => {
      await srv.db.kysely
        .updateTable('account_users')
        .set({ role: 'administrator' })
        .where('account_id', '=', Number(id))
        .where('user_id', '=', Number(users[0]))
        .execute();
      const r = await scim('PATCH', `/Groups/${id}`, patchOp({ op: 'replace', path: 'members', value: [{ value: users[0] }, { value: users[1] }] }));
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(memberIds(r.body), [users[0], users[1]].sort());
      assert.deepEqual(await roles(id), { [users[0]!]: 'administrator', [users[1]!]: 'agent' });
    });

    it('lists groups with excludedAttributes=members, and filters on members[value eq]', async () => {
      const r = await scim('GET', '/Groups?excludedAttributes=members');
      assert.equal(r.status, 200);
      const g = r.body.Resources.find((x: any) => x.id === id);
      assert.ok(g);
      assert.equal(g.members, undefined);
      const full = await scim('GET', `/Groups/${id}`);
      assert.equal(g.meta.version, full.body.meta.version, 'the same version with or without members');
      const byMember = await scim('GET', `/Groups?filter=${encodeURIComponent(`members[value eq "${users[1]}"]`)}&excludedAttributes=members`);
      assert.deepEqual(
        byMember.body.Resources.map((x: any) => x.id),
        [id],
      );
      const combined = await scim('GET', `/Groups?filter=${encodeURIComponent(`id eq "${id}" and members[value eq "${users[2]}"]`)}`);
      assert.equal(combined.body.totalResults, 0);
      const byDisplay = await scim('GET', `/Groups/${id}?excludedAttributes=members`);
      assert.equal(byDisplay.body.members, undefined);
    });

    it('replaces it with PUT (members not sent leave)', async () => {
      const r = await scim('PUT', `/Groups/${id}`, { schemas: [GROUP_SCHEMA], displayName: 'Support', members: [{ value: users[2] }] });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(memberIds(r.body), [users[2]]);
      assert.equal(r.body.externalId, undefined, 'PUT replaces: an externalId not sent is cleared');
    });

    it("refuses a member that is not a user of the company (400 invalidValue) and another company's group (404)", async () => {
      for (const value of [foreignUser, '99999999', 'abc']) {
        const r = await scim('PATCH', `/Groups/${id}`, patchOp({ op: 'add', path: 'members', value: [{ value }] }));
        assert.equal(r.status, 400, value);
        assert.equal(r.body.scimType, 'invalidValue');
      }
      assert.equal((await other('GET', `/Groups/${id}`)).status, 404);
      assert.equal((await other('PATCH', `/Groups/${id}`, patchOp({ op: 'add', path: 'members', value: [{ value: foreignUser }] }))).status, 404);
      assert.equal((await other('GET', '/Groups')).body.totalResults, 0);
    });

    it('deletes it: the account and its memberships go, the users stay', async () => {
      assert.equal((await scim('DELETE', `/Groups/${id}`)).status, 204);
      assert.equal((await scim('GET', `/Groups/${id}`)).status, 404);
      assert.equal(await findAccount(srv.db.kysely, Number(id)), undefined);
      assert.deepEqual(await listAccountUsers(srv.db.kysely, Number(id)), []);
      assert.equal((await scim('GET', `/Users/${users[2]}`)).status, 200);
    });
  });

  it('a user deleted through SCIM leaves its groups', async () => {
    const u = (await scim('POST', '/Users', oktaUser(uniqueEmail('leaver')))).body.id;
    const g = (await scim('POST', '/Groups', { displayName: 'Leavers', members: [{ value: u }, { value: users[0] }] })).body.id;
    assert.equal((await scim('DELETE', `/Users/${u}`)).status, 204);
    assert.deepEqual(memberIds((await scim('GET', `/Groups/${g}`)).body), [users[0]]);
  });

  it('refuses a group without displayName and nested groups (400)', async () => {
    const none = await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], members: [] });
    assert.equal(none.status, 400);
    assert.equal(none.body.scimType, 'invalidValue');
    const nested = await scim('POST', '/Groups', { displayName: 'Outer', members: [{ value: '1', type: 'Group' }] });
    assert.equal(nested.status, 400);
  });
});
