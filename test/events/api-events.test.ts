/**
 * Each API's writes record exactly their event, in the write's transaction: the type, the actor
 * (kind and credential id), the request, the target, and the target as that API presents it, with
 * no password, hash or token. A refused write records nothing; so does a write that changes nothing.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { mintEmailToken } from '../../src/identity/email-tokens.js';
import type { Db } from '../../src/store/db.js';
import { forEachStore } from '../fixtures/databases.js';
import type { Reply } from '../fixtures/http.js';
import { withApp } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';
import { api, createTenant, GOOD_PASSWORD, uniqueEmail, type Api, type Tenant } from '../chatwoot/helpers.js';

interface Recorded {
  type: string;
  company_id: number | null;
  actor_kind: string;
  actor_id: string | null;
  request_id: string | null;
  client_ip: string | null;
  target_kind: string;
  target_id: string;
  data: any;
}

/** Runs `write` and answers what it returned and the events it recorded. */
async function recording(db: Db, write: () => Promise<Reply>): Promise<{ reply: Reply; events: Recorded[] }> {
  const last = await db.kysely
    .selectFrom('events')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  const reply = await write();
  const rows = await db.kysely
    .selectFrom('events')
    .selectAll()
    .where('id', '>', Number(last?.id ?? 0))
    .orderBy('id')
    .execute();
  return { reply, events: rows.map((r) => ({ ...r, data: JSON.parse(r.data) })) };
}

let requests = 0;
/** A request id to send: roster keeps a sane one (test/events/request-ids.test.ts). */
const nextRequestId = () => `evt-test-${process.pid}-${++requests}`;

/** The event's request: a request id of its own, the one the answer names when it names one. */
function assertRequest(e: Recorded, reply: Reply, seen: Set<string>) {
  assert.ok(e.request_id, 'the event names its request');
  assert.ok(!seen.has(e.request_id), 'each request has its own id');
  seen.add(e.request_id);
  assert.equal(e.request_id, reply.headers.get('x-request-id'), 'the id the answer returned');
  assert.equal(e.client_ip, '127.0.0.1');
}

/** No password, hash or token anywhere in the event's data. */
function assertNoSecrets(data: unknown, ...secrets: string[]) {
  const text = JSON.stringify(data);
  assert.doesNotMatch(text, /password|hash|\$argon2|access_token|pubsub_token|secret/i);
  for (const s of secrets) assert.ok(!text.includes(s), `the data holds no ${s.slice(0, 8)}...`);
}

forEachStore('events of the Jelou widget API', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0' });
  let auth: string;
  let clientId: string;
  let secret: string;
  const seen = new Set<string>();
  before(async () => {
    await servicesOf(srv.db).companies.create({ code: 'jel', name: 'Jel' });
    const c = await servicesOf(srv.db).credentials.createWidgetClient({ companyCode: 'jel' });
    clientId = c.clientId;
    secret = c.clientSecret;
    auth = `${c.clientId}:${c.clientSecret}`;
  });
  const post = (user: Record<string, unknown>) =>
    srv.call('POST', '/v1/widget/user', { headers: { authorization: auth, 'x-request-id': nextRequestId() }, json: { user } });

  it('a new user records widget_user.created with the user as Jelou presents it', async () => {
    const { reply, events } = await recording(srv.db, () => post({ id: 'wu-1', names: 'Wu One', legalId: '123' }));
    assert.equal(reply.status, 200);
    assert.equal(events.length, 1);
    const e = events[0]!;
    assert.equal(e.type, 'widget_user.created');
    assert.equal(e.actor_kind, 'widget_client');
    assert.equal(e.actor_id, clientId);
    assert.equal(e.target_kind, 'widget_user');
    assert.equal(e.target_id, 'wu-1');
    assert.equal(e.company_id, reply.body.data.User.companyId);
    assert.deepEqual(e.data, reply.body.data.User);
    assertRequest(e, reply, seen);
    assertNoSecrets(e.data, secret);
  });

  it('a returning user records nothing, or widget_user.updated when the names or legal id changed', async () => {
    assert.deepEqual((await recording(srv.db, () => post({ id: 'wu-1', names: 'Wu One', legalId: '123' }))).events, []);
    assert.deepEqual((await recording(srv.db, () => post({ id: 'wu-1', names: 'Wu One' }))).events, [], 'an omitted legal id keeps the stored one');
    const { reply, events } = await recording(srv.db, () => post({ id: 'wu-1', names: 'Wu Renamed', legalId: '123' }));
    assert.equal(reply.status, 200);
    assert.deepEqual(
      events.map((e) => [e.type, e.target_id, e.data.names]),
      [['widget_user.updated', 'wu-1', 'Wu Renamed']],
    );
    assert.deepEqual(events[0]!.data, reply.body.data.User);
    assertRequest(events[0]!, reply, seen);
    const legal = await recording(srv.db, () => post({ id: 'wu-1', names: 'Wu Renamed', legalId: '456' }));
    assert.deepEqual(
      legal.events.map((e) => [e.type, e.data.legalId]),
      [['widget_user.updated', '456']],
    );
  });

  it('a refused write records nothing', async () => {
    const bad = await recording(srv.db, () => post({ id: '', names: 'Nobody' }));
    assert.equal(bad.reply.status, 400);
    const unauthorized = await recording(srv.db, () =>
      srv.call('POST', '/v1/widget/user', { headers: { authorization: `${clientId}:wrong` }, json: { user: { id: 'wu-x', names: 'X' } } }),
    );
    assert.equal(unauthorized.reply.status, 401);
    assert.deepEqual([...bad.events, ...unauthorized.events], []);
  });
});

forEachStore('events of the Plazbot API', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0' });
  let token: string;
  let tokenId: string;
  const seen = new Set<string>();
  const password = 'Secure-Passphrase-123!';
  before(async () => {
    await servicesOf(srv.db).companies.create({ code: 'plz', name: 'Plz', requireEmailVerification: true });
    const t = await servicesOf(srv.db).credentials.createToken('api_token', { companyCode: 'plz' });
    token = t.token;
    tokenId = t.id;
  });
  const create = (email: string, pw = password) =>
    srv.call('POST', '/api/user', {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': nextRequestId() },
      json: { name: 'Ana', lastName: 'Paz', email, password: pw, company: 'plz', defaultStartWeek: 1, isExternalCreation: true },
    });

  it('POST /api/user records user.created with the user as Plazbot presents them', async () => {
    const { reply, events } = await recording(srv.db, () => create('ana.paz@example.com'));
    assert.equal(reply.status, 200, reply.text);
    assert.equal(events.length, 1);
    const e = events[0]!;
    assert.equal(e.type, 'user.created');
    assert.equal(e.actor_kind, 'api_token');
    assert.equal(e.actor_id, tokenId);
    assert.equal(e.target_kind, 'user');
    assert.equal(e.target_id, reply.body.data.userId);
    // The user as Plazbot presents one (GET /api/user/email, /me, login).
    const shown = await srv.call('GET', '/api/user/email?email=ana.paz%40example.com', { headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual(e.data, shown.body.data.user);
    assertRequest(e, reply, seen);
    assertNoSecrets(e.data, password, token);
  });

  it('a refused create records nothing: a taken email, a weak password, another company', async () => {
    const taken = await recording(srv.db, () => create('ana.paz@example.com'));
    assert.equal(taken.reply.status, 409);
    const weak = await recording(srv.db, () => create('weak@example.com', 'short'));
    assert.equal(weak.reply.status, 400);
    assert.deepEqual([...taken.events, ...weak.events], []);
  });

  it('the verification link records user.email_verified, once', async () => {
    const user = (await servicesOf(srv.db).users.findByEmail('ana.paz@example.com'))!;
    const link = await mintEmailToken(srv.db, user.id, 'verify_email');
    const { reply, events } = await recording(srv.db, () => srv.call('GET', `/api/user/verify-email?token=${link}`));
    assert.equal(reply.status, 200);
    assert.deepEqual(
      events.map((e) => [e.type, e.actor_kind, e.target_id, e.data.flagVerifiedEmail]),
      [['user.email_verified', 'anonymous', String(user.id), true]],
    );
    assertNoSecrets(events[0]!.data, link);
    const again = await recording(srv.db, () => srv.call('GET', `/api/user/verify-email?token=${link}`));
    assert.equal(again.reply.status, 410);
    assert.deepEqual(again.events, []);
  });

  it('a password reset records user.password_changed (and user.email_verified when the code proved the mailbox)', async () => {
    const created = await create('reset.me@example.com');
    const id = Number(created.body.data.userId);
    const code = await mintEmailToken(srv.db, id, 'reset_password');
    const newPassword = 'Another-Passphrase-456!';
    const reset = (verificationId: string) =>
      srv.call('POST', '/api/user/resetPassword', {
        headers: { 'x-request-id': nextRequestId() },
        json: { email: 'reset.me@example.com', newPassword, verificationId },
      });
    const wrong = await recording(srv.db, () => reset('A'.repeat(43)));
    assert.equal(wrong.reply.status, 400);
    assert.deepEqual(wrong.events, [], 'a wrong code records nothing');
    const { reply, events } = await recording(srv.db, () => reset(code));
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(
      events.map((e) => [e.type, e.actor_kind, e.target_id]),
      [
        ['user.password_changed', 'anonymous', String(id)],
        ['user.email_verified', 'anonymous', String(id)],
      ],
    );
    assertRequest(events[0]!, reply, seen);
    for (const e of events) assertNoSecrets(e.data, newPassword, code);
  });
});

forEachStore('events of the Chatwoot Platform API', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0' });
  let tenant: Tenant;
  let call: Api;
  const seen = new Set<string>();
  before(async () => {
    tenant = await createTenant(srv, 'cwe');
    call = api(srv, tenant.token);
  });
  const write = (method: string, path: string, json?: unknown) => recording(srv.db, () => call(method, path, json, { 'x-request-id': nextRequestId() }));

  /** The one event of a write: its type, the app as actor, the tenant, the request. */
  function only(r: { reply: Reply; events: Recorded[] }, type: string, targetKind: string) {
    assert.equal(r.events.length, 1, JSON.stringify(r.events.map((e) => e.type)));
    const e = r.events[0]!;
    assert.equal(e.type, type);
    assert.equal(e.actor_kind, 'platform_app');
    assert.equal(e.actor_id, tenant.appId);
    assert.equal(e.company_id, tenant.companyId);
    assert.equal(e.target_kind, targetKind);
    assertRequest(e, r.reply, seen);
    assertNoSecrets(e.data, tenant.token);
    return e;
  }

  let accountId: number;
  let userId: number;

  describe('accounts', () => {
    it('create, update and delete record account.created, account.updated and account.deleted', async () => {
      const created = await write('POST', '/accounts', { name: 'Events Inc', locale: 'es' });
      assert.equal(created.reply.status, 200);
      accountId = created.reply.body.id;
      assert.deepEqual(only(created, 'account.created', 'account').data, created.reply.body);
      const updated = await write('PATCH', `/accounts/${accountId}`, { name: 'Events SA' });
      assert.deepEqual(only(updated, 'account.updated', 'account').data, updated.reply.body);
      const spare = (await call('POST', '/accounts', { name: 'Spare' })).body;
      const deleted = await write('DELETE', `/accounts/${spare.id}`);
      assert.equal(deleted.reply.status, 200);
      const e = only(deleted, 'account.deleted', 'account');
      assert.equal(e.target_id, String(spare.id));
      assert.equal(e.data.name, 'Spare');
    });

    it('a refused write records nothing', async () => {
      const invalid = await write('POST', '/accounts', { name: '', locale: 'xx' });
      assert.equal(invalid.reply.status, 422);
      const badUpdate = await write('PATCH', `/accounts/${accountId}`, { locale: 'klingon' });
      assert.equal(badUpdate.reply.status, 422);
      const missing = await write('DELETE', '/accounts/999999');
      assert.equal(missing.reply.status, 404);
      assert.deepEqual([...invalid.events, ...badUpdate.events, ...missing.events], []);
    });
  });

  describe('users', () => {
    it('create records user.created, without the tokens the answer shows once', async () => {
      const r = await write('POST', '/users', { name: 'Eve', email: uniqueEmail('eve'), password: GOOD_PASSWORD });
      assert.equal(r.reply.status, 200, r.reply.text);
      userId = r.reply.body.id;
      const e = only(r, 'user.created', 'user');
      const { access_token, pubsub_token, ...presented } = r.reply.body;
      assert.ok(access_token && pubsub_token);
      assert.deepEqual(e.data, presented);
      assertNoSecrets(e.data, access_token, pubsub_token, GOOD_PASSWORD);
    });

    it('creating an existing email links the user and records nothing', async () => {
      const email = (await call('GET', `/users/${userId}`)).body.email;
      const again = await write('POST', '/users', { name: 'Eve again', email });
      assert.equal(again.reply.status, 200);
      assert.deepEqual(again.events, []);
    });

    it('an update records user.updated; a password change records user.password_changed', async () => {
      const renamed = await write('PATCH', `/users/${userId}`, { name: 'Eve Renamed' });
      assert.equal(only(renamed, 'user.updated', 'user').data.name, 'Eve Renamed');
      const newPassword = 'N3w-Pa55word!-horse';
      const pw = await write('PATCH', `/users/${userId}`, { password: newPassword });
      assert.equal(pw.reply.status, 200);
      const e = only(pw, 'user.password_changed', 'user');
      assertNoSecrets(e.data, newPassword);
      const both = await write('PATCH', `/users/${userId}`, { display_name: 'Evie', password: 'An0ther-Pa55word!-x' });
      assert.deepEqual(
        both.events.map((x) => x.type),
        ['user.updated', 'user.password_changed'],
      );
    });

    it('a refused update records nothing', async () => {
      const weak = await write('PATCH', `/users/${userId}`, { password: 'weak' });
      assert.equal(weak.reply.status, 422);
      const other = await call('POST', '/users', { name: 'Taken', email: uniqueEmail('taken'), password: GOOD_PASSWORD });
      const taken = await write('PATCH', `/users/${userId}`, { email: other.body.email });
      assert.equal(taken.reply.status, 422);
      assert.deepEqual([...weak.events, ...taken.events], []);
    });
  });

  describe('account users', () => {
    it('records created, then updated for a new role, and nothing for a repeat', async () => {
      const created = await write('POST', `/accounts/${accountId}/account_users`, { user_id: userId, role: 'agent' });
      assert.equal(created.reply.status, 200, created.reply.text);
      assert.deepEqual(only(created, 'account_user.created', 'account_user').data, created.reply.body);
      const same = await write('POST', `/accounts/${accountId}/account_users`, { user_id: userId, role: 'agent' });
      const noRole = await write('POST', `/accounts/${accountId}/account_users`, { user_id: userId });
      assert.deepEqual([...same.events, ...noRole.events], [], 'an upsert that changes nothing records nothing');
      const promoted = await write('POST', `/accounts/${accountId}/account_users`, { user_id: userId, role: 'administrator' });
      const e = only(promoted, 'account_user.updated', 'account_user');
      assert.equal(e.data.role, 'administrator');
      assert.deepEqual(e.data, promoted.reply.body);
    });

    it('a refused add records nothing', async () => {
      const badRole = await write('POST', `/accounts/${accountId}/account_users`, { user_id: userId, role: 'owner' });
      const noUser = await write('POST', `/accounts/${accountId}/account_users`, { user_id: 999999 });
      assert.equal(badRole.reply.status, 422);
      assert.equal(noUser.reply.status, 422);
      assert.deepEqual([...badRole.events, ...noUser.events], []);
    });

    it('delete records account_user.deleted when there was a membership, and nothing otherwise', async () => {
      const removed = await write('DELETE', `/accounts/${accountId}/account_users`, { user_id: userId });
      assert.equal(removed.reply.status, 200);
      const e = only(removed, 'account_user.deleted', 'account_user');
      assert.equal(e.data.user_id, userId);
      const again = await write('DELETE', `/accounts/${accountId}/account_users`, { user_id: userId });
      assert.equal(again.reply.status, 200);
      assert.deepEqual(again.events, []);
    });
  });

  describe('agent bots', () => {
    it('create, update and delete record agent_bot.*, never the bot access token', async () => {
      const created = await write('POST', '/agent_bots', { name: 'Helper', outgoing_url: 'https://bots.example.com/hook', account_id: accountId });
      assert.equal(created.reply.status, 200, created.reply.text);
      const e = only(created, 'agent_bot.created', 'agent_bot');
      const { access_token, ...presented } = created.reply.body;
      assert.ok(access_token);
      assert.deepEqual(e.data, presented);
      assertNoSecrets(e.data, access_token);
      const id = created.reply.body.id;
      const updated = await write('PATCH', `/agent_bots/${id}`, { description: 'helps' });
      assert.equal(only(updated, 'agent_bot.updated', 'agent_bot').data.description, 'helps');
      const invalid = await write('PATCH', `/agent_bots/${id}`, { outgoing_url: 'ftp://nope' });
      assert.equal(invalid.reply.status, 422);
      assert.deepEqual(invalid.events, []);
      const deleted = await write('DELETE', `/agent_bots/${id}`);
      assert.equal(only(deleted, 'agent_bot.deleted', 'agent_bot').data.name, 'Helper');
    });
  });

  describe('deleting a user', () => {
    it('records user.deleted with the user as they were', async () => {
      const r = await write('DELETE', `/users/${userId}`);
      assert.equal(r.reply.status, 200);
      const e = only(r, 'user.deleted', 'user');
      assert.equal(e.target_id, String(userId));
      assert.equal(e.data.name, 'Eve Renamed');
      assert.deepEqual((await write('DELETE', `/users/${userId}`)).events, [], 'a user already gone records nothing');
    });
  });
});
