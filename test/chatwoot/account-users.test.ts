import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { api, createTenant, GOOD_PASSWORD, newApp, uniqueEmail, type Api, type Tenant } from './helpers.js';
import { servicesOf } from '../fixtures/services.js';

const ROW_KEYS = [
  'account_id',
  'active_at',
  'agent_capacity_policy_id',
  'auto_offline',
  'availability',
  'created_at',
  'custom_role_id',
  'id',
  'inviter_id',
  'role',
  'updated_at',
  'user_id',
];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

forEachStore('Chatwoot account users', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0' });
  let acme: Tenant;
  let cw: Api;
  let other: Api;
  let accountId: number;

  before(async () => {
    acme = await createTenant(srv, 'acme');
    cw = api(srv, acme.token);
    other = api(srv, (await newApp(srv, 'acme')).token);
    accountId = (await cw('POST', '/accounts', { name: 'Acme' })).body.id;
  });

  const newUser = async (client: Api = cw) =>
    (await client('POST', '/users', { name: 'Agent', email: uniqueEmail(), password: GOOD_PASSWORD })).body as { id: number; email: string };
  const path = (id = accountId) => `/accounts/${id}/account_users`;
  const rows = async (id = accountId) => srv.db.kysely.selectFrom('account_users').selectAll().where('account_id', '=', id).execute();

  describe('authentication (Chatwoot spec: no token)', () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      it(`${method} answers 401 without a token and with token "invalid"`, async () => {
        for (const token of [undefined, 'invalid']) {
          const r = await api(srv, token)(method, path(), method === 'GET' ? undefined : { user_id: 1 });
          assert.equal(r.status, 401);
          assert.deepEqual(r.body, { error: 'Invalid access_token' });
        }
      });
    }
  });

  it('adds a user with a role and answers the whole row (Chatwoot spec: create)', async () => {
    const u = await newUser();
    const r = await cw('POST', path(), { user_id: u.id, role: 'administrator' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.body).sort(), ROW_KEYS);
    assert.equal(r.body.user_id, u.id);
    assert.equal(r.body.account_id, accountId);
    assert.equal(r.body.role, 'administrator');
    assert.equal(r.body.inviter_id, null);
    assert.equal(r.body.active_at, null);
    assert.equal(r.body.availability, 'online');
    assert.equal(r.body.auto_offline, true);
    assert.match(r.body.created_at, ISO);
    assert.match(r.body.updated_at, ISO);
  });

  it('defaults the role to agent and takes the user id as digits', async () => {
    const u = await newUser();
    const r = await cw('POST', path(), { user_id: String(u.id) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.role, 'agent');
  });

  it('answers 200 to a repeat and updates the role of an existing member (Chatwoot spec: update role)', async () => {
    const u = await newUser();
    const first = (await cw('POST', path(), { user_id: u.id, role: 'agent' })).body;
    const again = await cw('POST', path(), { user_id: u.id, role: 'agent' });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first, 'a repeat changes nothing, not even updated_at');
    const promoted = await cw('POST', path(), { user_id: u.id, role: 'administrator' });
    assert.equal(promoted.status, 200);
    assert.equal(promoted.body.id, first.id);
    assert.equal(promoted.body.role, 'administrator');
    const kept = await cw('POST', path(), { user_id: u.id });
    assert.equal(kept.body.role, 'administrator', 'an omitted role keeps the existing one');
    assert.equal((await rows()).filter((m) => m.user_id === u.id).length, 1);
  });

  it('leaves exactly one row for 20 concurrent POSTs, all answering 200 with it', async () => {
    const u = await newUser();
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => cw('POST', path(), { user_id: u.id, role: i % 2 === 0 ? 'agent' : 'administrator' })),
    );
    assert.deepEqual([...new Set(replies.map((r) => r.status))], [200]);
    assert.equal(new Set(replies.map((r) => r.body.id)).size, 1);
    const mine = (await rows()).filter((m) => m.user_id === u.id);
    assert.equal(mine.length, 1);
    assert.ok(['agent', 'administrator'].includes(mine[0]!.role));
  });

  it('lists the rows (Chatwoot spec: index)', async () => {
    const account = (await cw('POST', '/accounts', { name: 'Listed' })).body.id;
    const a = await newUser();
    const b = await newUser();
    await cw('POST', path(account), { user_id: a.id, role: 'administrator' });
    await cw('POST', path(account), { user_id: b.id });
    const r = await cw('GET', path(account));
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.map((m: { user_id: number; role: string }) => [m.user_id, m.role]),
      [
        [a.id, 'administrator'],
        [b.id, 'agent'],
      ],
    );
    for (const m of r.body) assert.deepEqual(Object.keys(m).sort(), ROW_KEYS);
  });

  it('deletes by user_id in the body or the query, 200 even when nothing matched (Chatwoot spec: delete)', async () => {
    const account = (await cw('POST', '/accounts', { name: 'Deletes' })).body.id;
    const a = await newUser();
    const b = await newUser();
    await cw('POST', path(account), { user_id: a.id });
    await cw('POST', path(account), { user_id: b.id });
    const byBody = await cw('DELETE', path(account), { user_id: a.id });
    assert.equal(byBody.status, 200);
    assert.equal(byBody.text, '');
    const byQuery = await cw('DELETE', `${path(account)}?user_id=${b.id}`);
    assert.equal(byQuery.status, 200);
    assert.deepEqual(await rows(account), []);
    for (const r of [
      await cw('DELETE', path(account), { user_id: a.id }),
      await cw('DELETE', path(account), { user_id: 'abc' }),
      await cw('DELETE', path(account)),
      await cw('DELETE', path(account), undefined, { 'content-type': 'application/json' }),
    ]) {
      assert.equal(r.status, 200, r.text);
      assert.equal(r.text, '');
    }
  });

  it('deletes only from this account', async () => {
    const a1 = (await cw('POST', '/accounts', { name: 'A1' })).body.id;
    const a2 = (await cw('POST', '/accounts', { name: 'A2' })).body.id;
    const u = await newUser();
    await cw('POST', path(a1), { user_id: u.id });
    await cw('POST', path(a2), { user_id: u.id });
    await cw('DELETE', path(a1), { user_id: u.id });
    assert.equal((await rows(a2)).length, 1);
  });

  describe('422 "User must exist", nothing written', () => {
    const bad: Array<[string, unknown]> = [
      ['an unknown id', 987654],
      ['a non-numeric id', 'abc'],
      ['a negative id', -1],
      ['a fractional id', 1.5],
      ['a huge id', 1e20],
      ['null', null],
      ['an object', { id: 1 }],
      ['a boolean', true],
    ];
    for (const [label, userId] of bad) {
      it(`for ${label}`, async () => {
        const before = (await rows()).length;
        const r = await cw('POST', path(), { user_id: userId, role: 'agent' });
        assert.equal(r.status, 422, r.text);
        assert.deepEqual(r.body, { message: 'User must exist', attributes: ['user'] });
        assert.equal((await rows()).length, before);
      });
    }

    it('for a missing user_id', async () => {
      const r = await cw('POST', path(), { role: 'agent' });
      assert.deepEqual(r.body, { message: 'User must exist', attributes: ['user'] });
    });

    it('for a user of another company', async () => {
      const globex = await createTenant(srv, 'globex-au');
      const stranger = await newUser(api(srv, globex.token));
      const r = await cw('POST', path(), { user_id: stranger.id, role: 'administrator' });
      assert.equal(r.status, 422);
      assert.deepEqual(r.body, { message: 'User must exist', attributes: ['user'] });
    });
  });

  it('attaches a user of its company that the app neither created nor linked (Chatwoot spec: create for any user)', async () => {
    const theirs = await newUser(other);
    const r = await cw('POST', path(), { user_id: theirs.id });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.user_id, theirs.id);
    const plazbot = await servicesOf(srv.db).users.create({
      companyId: acme.companyId,
      email: uniqueEmail('plazbot'),
      name: 'P',
      passwordHash: null,
      emailVerified: true,
      createdVia: 'plazbot',
    });
    const p = await cw('POST', path(), { user_id: plazbot.id, role: 'administrator' });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.role, 'administrator');
    assert.equal((await cw('GET', `/users/${plazbot.id}`)).status, 401, 'attaching links nothing: the user stays non-permissible');
    const events = await srv.db.kysely.selectFrom('events').select(['type', 'target_id']).where('type', '=', 'account_user.created').execute();
    assert.ok(
      events.some((e) => String(e.target_id) === String(p.body.id)),
      'the write is recorded',
    );
  });

  it('takes the Rails enum integers of a role: 1 administrator, 0 agent (also as digits)', async () => {
    const u = await newUser();
    const admin = await cw('POST', path(), { user_id: u.id, role: 1 });
    assert.equal(admin.status, 200, admin.text);
    assert.equal(admin.body.role, 'administrator');
    const agent = await cw('POST', path(), { user_id: u.id, role: 0 });
    assert.equal(agent.body.role, 'agent');
    assert.equal((await cw('POST', path(), { user_id: u.id, role: '1' })).body.role, 'administrator');
    const rows = await srv.db.kysely.selectFrom('account_users').select('role').where('user_id', '=', u.id).execute();
    assert.deepEqual(rows, [{ role: 'administrator' }]);
  });

  it('answers 422 for an unknown role, with the user error too when both are wrong', async () => {
    const u = await newUser();
    for (const role of ['owner', '', 'ADMINISTRATOR', 2, -1, 1.5, '01', null, ['agent']]) {
      const r = await cw('POST', path(), { user_id: u.id, role });
      assert.equal(r.status, 422, JSON.stringify(role));
      assert.deepEqual(r.body, { message: 'Role is not included in the list', attributes: ['role'] });
    }
    const both = await cw('POST', path(), { user_id: 0, role: 'owner' });
    assert.deepEqual(both.body, { message: 'User must exist, Role is not included in the list', attributes: ['user', 'role'] });
    assert.equal((await rows()).filter((m) => m.user_id === u.id).length, 0);
  });

  it('answers 404 for an unknown account and 401 for an account of another app, on every verb', async () => {
    const theirs = (await other('POST', '/accounts', { name: 'Theirs' })).body.id;
    const u = await newUser();
    for (const method of ['GET', 'POST', 'DELETE']) {
      const body = method === 'GET' ? undefined : { user_id: u.id };
      const missing = await cw(method, path(987654), body);
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, { status: 404, error: 'Not Found' });
      const foreign = await cw(method, path(theirs), body);
      assert.equal(foreign.status, 401);
      assert.deepEqual(foreign.body, { error: 'Non permissible resource' });
    }
    assert.deepEqual(await rows(theirs), []);
  });
});
