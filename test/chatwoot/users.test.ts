import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { mintEmailToken } from '../../src/identity/email-tokens.js';
import { verifyPassword } from '../../src/identity/passwords.js';
import { digest } from '../../src/identity/secrets.js';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { api, createTenant, GOOD_PASSWORD, newApp, uniqueEmail, type Api, type Tenant } from './helpers.js';
import { servicesOf } from '../fixtures/services.js';

const USER_KEYS = [
  'access_token',
  'account_id',
  'accounts',
  'available_name',
  'avatar_url',
  'confirmed',
  'display_name',
  'email',
  'id',
  'message_signature',
  'name',
  'provider',
  'pubsub_token',
  'role',
  'ui_settings',
  'uid',
];
const FRONTEND = 'https://app.example.test/chat';

forEachStore('Chatwoot users', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0', FRONTEND_URL: FRONTEND });
  let acme: Tenant;
  let cw: Api;
  let other: Api;

  before(async () => {
    acme = await createTenant(srv, 'acme');
    cw = api(srv, acme.token);
    other = api(srv, (await newApp(srv, 'acme')).token);
  });

  const newUser = async (extra: Record<string, unknown> = {}) => {
    const r = await cw('POST', '/users', { name: 'Daniel', email: uniqueEmail(), password: GOOD_PASSWORD, ...extra });
    assert.equal(r.status, 200, r.text);
    return r.body;
  };

  describe('authentication (Chatwoot spec: no token, invalid token)', () => {
    for (const [method, path] of [
      ['POST', '/users'],
      ['GET', '/users/1'],
      ['PATCH', '/users/1'],
      ['PUT', '/users/1'],
      ['DELETE', '/users/1'],
      ['GET', '/users/1/login'],
      ['POST', '/users/1/token'],
    ] as const) {
      it(`${method} ${path} answers 401 without a token and with token "invalid"`, async () => {
        for (const token of [undefined, 'invalid']) {
          const r = await api(srv, token)(method, path, method === 'POST' || method.startsWith('P') ? { name: 'x', email: uniqueEmail() } : undefined);
          assert.equal(r.status, 401, r.text);
          assert.deepEqual(r.body, { error: 'Invalid access_token' });
        }
      });
    }
  });

  it('creates a confirmed user, shows their tokens once, and links them (Chatwoot spec: create)', async () => {
    const email = uniqueEmail('dev+testing');
    const r = await cw('POST', '/users', {
      name: 'Daniel',
      display_name: 'Dan',
      email: `  ${email.toUpperCase()} `,
      password: GOOD_PASSWORD,
      custom_attributes: { team: 'blue' },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.body).sort(), [...USER_KEYS, 'custom_attributes'].sort());
    const u = r.body;
    assert.equal(u.email, email);
    assert.equal(u.uid, email);
    assert.equal(u.name, 'Daniel');
    assert.equal(u.display_name, 'Dan');
    assert.equal(u.available_name, 'Dan');
    assert.equal(u.confirmed, true);
    assert.equal(u.provider, 'email');
    assert.equal(u.avatar_url, '');
    assert.equal(u.message_signature, null);
    assert.equal(u.account_id, null);
    assert.equal(u.role, null);
    assert.deepEqual(u.accounts, []);
    assert.deepEqual(u.ui_settings, {});
    assert.deepEqual(u.custom_attributes, { team: 'blue' });
    assert.match(u.access_token, /^rut_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    assert.match(u.pubsub_token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(await servicesOf(srv.db).chatwoot.tokens.verifyUserToken(u.access_token), u.id);

    const row = await srv.db.kysely.selectFrom('users').selectAll().where('id', '=', u.id).executeTakeFirstOrThrow();
    assert.equal(row.company_id, acme.companyId);
    assert.equal(row.created_via, 'chatwoot');
    assert.ok(row.email_verified_at);
    assert.match(row.password_hash!, /^\$argon2id\$/);
    assert.equal(await verifyPassword(row.password_hash!, GOOD_PASSWORD), true);
    assert.equal(row.pubsub_token_digest, digest(u.pubsub_token));
    const links = await srv.db.kysely
      .selectFrom('platform_app_permissibles')
      .selectAll()
      .where('permissible_type', '=', 'User')
      .where('permissible_id', '=', u.id)
      .execute();
    assert.deepEqual(
      links.map((l) => l.platform_app_id),
      [acme.appId],
    );

    const shown = await cw('GET', `/users/${u.id}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.access_token, u.access_token, 'Chatwoot shows the token in every user body');
    assert.equal(shown.body.pubsub_token, u.pubsub_token);
    const sealed = await srv.db.kysely.selectFrom('user_access_tokens').select('token_sealed').where('user_id', '=', u.id).executeTakeFirstOrThrow();
    assert.match(sealed.token_sealed!, /^v1\.[0-9a-f]{8}\./, 'the token is stored sealed');
    assert.ok(!sealed.token_sealed!.includes(u.access_token.split('.')[1]), 'never in clear');
    const stored = await srv.db.kysely.selectFrom('users').select('pubsub_token_sealed').where('id', '=', u.id).executeTakeFirstOrThrow();
    assert.match(stored.pubsub_token_sealed!, /^v1\./);
    assert.ok(!stored.pubsub_token_sealed!.includes(u.pubsub_token));
    assert.equal(shown.body.email, email);
    assert.deepEqual(shown.body.custom_attributes, { team: 'blue' }, 'Chatwoot spec: show returns custom_attributes');
  });

  it('creates a user with custom_attributes only when not empty', async () => {
    const u = await newUser();
    assert.equal('custom_attributes' in u, false, 'custom_attributes only when not empty');
    assert.equal(u.available_name, 'Daniel');
  });

  it('returns the existing user unchanged for a repeated email and links them (Chatwoot spec: existing email keeps the old name)', async () => {
    const first = await newUser();
    const r = await other('POST', '/users', { name: 'Someone Else', email: first.email.toUpperCase(), password: 'x' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.id, first.id);
    assert.equal(r.body.name, 'Daniel');
    assert.equal(r.body.access_token, first.access_token, 'the existing user body carries their token, as in Chatwoot');
    assert.equal(r.body.pubsub_token, first.pubsub_token);
    assert.equal((await other('GET', `/users/${first.id}`)).status, 200, 'now linked to the second app');
    const row = await srv.db.kysely.selectFrom('users').select('password_hash').where('id', '=', first.id).executeTakeFirstOrThrow();
    assert.equal(await verifyPassword(row.password_hash!, GOOD_PASSWORD), true, 'the password sent was ignored');
  });

  it('links a user of its company created elsewhere (Plazbot API, CLI) by email', async () => {
    const email = uniqueEmail('plazbot');
    const u = await servicesOf(srv.db).users.create({
      companyId: acme.companyId,
      email,
      name: 'From Plazbot',
      passwordHash: null,
      emailVerified: false,
      createdVia: 'plazbot',
    });
    assert.equal((await cw('GET', `/users/${u.id}`)).status, 401, 'not linked yet');
    const r = await cw('POST', '/users', { name: 'ignored', email });
    assert.equal(r.status, 200);
    assert.equal(r.body.id, u.id);
    assert.equal(r.body.confirmed, false, 'linking does not confirm the email');
    assert.equal((await cw('GET', `/users/${u.id}`)).status, 200);
  });

  it('creates one user for 20 concurrent creates of a new email; every caller gets it', async () => {
    const email = uniqueEmail('race');
    const replies = await Promise.all(Array.from({ length: 20 }, () => cw('POST', '/users', { name: 'Racer', email, password: GOOD_PASSWORD })));
    assert.deepEqual([...new Set(replies.map((r) => r.status))], [200]);
    assert.equal(new Set(replies.map((r) => r.body.id)).size, 1);
    assert.equal(new Set(replies.map((r) => r.body.access_token)).size, 1, 'every caller sees the one token');
    const rows = await srv.db.kysely.selectFrom('users').select('id').where('email', '=', email).execute();
    assert.equal(rows.length, 1);
  });

  it('updates with PATCH and PUT, merging custom attributes (Chatwoot spec: update)', async () => {
    const u = await newUser({ custom_attributes: { a: 1, b: 1 } });
    const email = uniqueEmail('renamed');
    const r = await cw('PATCH', `/users/${u.id}`, { name: 'Daniela', display_name: 'Dani', email, custom_attributes: { b: 2, c: 3 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.name, 'Daniela');
    assert.equal(r.body.display_name, 'Dani');
    assert.equal(r.body.email, email);
    assert.deepEqual(r.body.custom_attributes, { a: 1, b: 2, c: 3 });
    assert.equal(r.body.access_token, u.access_token);
    const put = await cw('PUT', `/users/${u.id}`, { display_name: null, password: 'N3w-Passw0rd!long' });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.display_name, null);
    assert.equal(put.body.available_name, 'Daniela');
    const row = await srv.db.kysely.selectFrom('users').select('password_hash').where('id', '=', u.id).executeTakeFirstOrThrow();
    assert.equal(await verifyPassword(row.password_hash!, 'N3w-Passw0rd!long'), true);
  });

  it('kills reset codes, verification links and sessions of a user whose email changes', async () => {
    const u = await newUser();
    const code = await mintEmailToken(srv.db, u.id, 'reset_password');
    const link = await mintEmailToken(srv.db, u.id, 'verify_email');
    const login = await srv.call('POST', '/api/user/login', { json: { email: u.email, password: GOOD_PASSWORD } });
    assert.equal(login.status, 200, login.text);
    const email = uniqueEmail('moved');
    assert.equal((await cw('PATCH', `/users/${u.id}`, { email })).status, 200);
    const reset = await srv.call('POST', '/api/user/resetPassword', { json: { email, newPassword: 'Taken-Over-Passphrase-9', verificationId: code } });
    assert.equal(reset.status, 400, reset.text);
    assert.equal(reset.body.errorCode, 'INVALID_VERIFICATION_CODE');
    assert.equal((await srv.call('GET', `/api/user/verify-email?token=${link}`)).status, 410);
    assert.equal((await srv.call('GET', '/api/user/me', { headers: { authorization: `Bearer ${login.body.data.token}` } })).status, 401);
    assert.equal((await srv.call('POST', '/api/user/login', { json: { email, password: GOOD_PASSWORD } })).status, 200);
  });

  it('ends the sessions and kills the reset codes of a user whose password changes, and only then', async () => {
    const u = await newUser();
    const login = await srv.call('POST', '/api/user/login', { json: { email: u.email, password: GOOD_PASSWORD } });
    assert.equal(login.status, 200, login.text);
    const me = () => srv.call('GET', '/api/user/me', { headers: { authorization: `Bearer ${login.body.data.token}` } });
    assert.equal((await cw('PATCH', `/users/${u.id}`, { name: 'Renamed', email: u.email.toUpperCase() })).status, 200);
    assert.equal((await me()).status, 200, 'a name, or the same email, ends nothing');
    const code = await mintEmailToken(srv.db, u.id, 'reset_password');
    assert.equal((await cw('PATCH', `/users/${u.id}`, { password: 'N3w-Passw0rd!long' })).status, 200);
    assert.equal((await me()).status, 401);
    const reset = await srv.call('POST', '/api/user/resetPassword', {
      json: { email: u.email, newPassword: 'Taken-Over-Passphrase-9', verificationId: code },
    });
    assert.equal(reset.status, 400, reset.text);
  });

  it('keeps both of concurrent custom attribute merges', async () => {
    const u = await newUser();
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8'];
    const replies = await Promise.all(keys.map((k) => cw('PATCH', `/users/${u.id}`, { custom_attributes: { [k]: true } })));
    assert.deepEqual([...new Set(replies.map((r) => r.status))], [200]);
    assert.deepEqual(Object.keys((await cw('GET', `/users/${u.id}`)).body.custom_attributes).sort(), keys);
  });

  it('refuses an email change to a taken address: 422 "Email has already been taken"', async () => {
    const a = await newUser();
    const b = await newUser();
    const r = await cw('PATCH', `/users/${a.id}`, { email: b.email.toUpperCase() });
    assert.equal(r.status, 422);
    assert.deepEqual(r.body, { message: 'Email has already been taken', attributes: ['email'] });
    assert.equal((await cw('GET', `/users/${a.id}`)).body.email, a.email);
  });

  it('shows account_id and role from the membership, and lists accounts', async () => {
    const u = await newUser();
    const a1 = (await cw('POST', '/accounts', { name: 'One' })).body;
    const a2 = (await cw('POST', '/accounts', { name: 'Two' })).body;
    await cw('POST', `/accounts/${a1.id}/account_users`, { user_id: u.id, role: 'administrator' });
    await cw('POST', `/accounts/${a2.id}/account_users`, { user_id: u.id });
    const r = (await cw('GET', `/users/${u.id}`)).body;
    assert.equal(r.account_id, a1.id);
    assert.equal(r.role, 'administrator');
    assert.deepEqual(r.accounts, [
      { id: a1.id, name: 'One', active_at: null, role: 'administrator' },
      { id: a2.id, name: 'Two', active_at: null, role: 'agent' },
    ]);
    await srv.db.kysely.updateTable('account_users').set({ active_at: new Date().toISOString() }).where('account_id', '=', a2.id).execute();
    const active = (await cw('GET', `/users/${u.id}`)).body;
    assert.equal(active.account_id, a2.id, 'the most recently active membership');
    assert.equal(active.role, 'agent');
  });

  it('gives a single-use login link that lives five minutes (Chatwoot spec: login)', async () => {
    const u = await newUser({ email: 'dev+testing@chatwoot.com' });
    const r = await cw('GET', `/users/${u.id}/login`);
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.body), ['url']);
    const url = new URL(r.body.url);
    assert.equal(`${url.origin}${url.pathname}`, `${FRONTEND}/app/login`);
    assert.ok(r.body.url.includes(`email=${encodeURIComponent(u.email)}&sso_auth_token=`));
    assert.ok(r.body.url.includes('email=dev%2Btesting%40chatwoot.com&sso_auth_token='), 'Chatwoot spec: the exact encoding');
    const token = url.searchParams.get('sso_auth_token')!;
    assert.match(token, /^[0-9a-f]{64}$/);
    assert.equal(r.headers.get('cache-control'), 'no-store');

    const stored = await srv.db.kysely.selectFrom('sso_login_tokens').selectAll().where('user_id', '=', u.id).execute();
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.digest, digest(token));
    const ttl = Date.parse(stored[0]!.expires_at) - Date.parse(stored[0]!.created_at);
    assert.equal(ttl, 5 * 60 * 1000);

    assert.equal(await servicesOf(srv.db).chatwoot.users.redeemLoginToken('someone@else.test', token), undefined, 'bound to the user');
    assert.equal((await servicesOf(srv.db).chatwoot.users.redeemLoginToken(u.email, token))?.id, u.id);
    assert.equal(await servicesOf(srv.db).chatwoot.users.redeemLoginToken(u.email, token), undefined, 'single use');

    const late = new URL((await cw('GET', `/users/${u.id}/login`)).body.url).searchParams.get('sso_auth_token')!;
    await srv.db.kysely
      .updateTable('sso_login_tokens')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('digest', '=', digest(late))
      .execute();
    assert.equal(await servicesOf(srv.db).chatwoot.users.redeemLoginToken(u.email, late), undefined, 'expired');
  });

  it('keeps at most 10 live login links per user, and mints none for a HEAD', async () => {
    const u = await newUser();
    const tokens: string[] = [];
    for (let i = 0; i < 12; i++) tokens.push(new URL((await cw('GET', `/users/${u.id}/login`)).body.url).searchParams.get('sso_auth_token')!);
    const live = async () => (await srv.db.kysely.selectFrom('sso_login_tokens').select('digest').where('user_id', '=', u.id).execute()).length;
    assert.equal(await live(), 10);
    assert.equal((await cw('HEAD', `/users/${u.id}/login`)).status, 404);
    assert.equal(await live(), 10);
    const redeemed = [];
    for (const t of tokens) redeemed.push((await servicesOf(srv.db).chatwoot.users.redeemLoginToken(u.email, t)) !== undefined);
    assert.equal(redeemed.filter(Boolean).length, 10, 'two older links stopped working');
    assert.equal(redeemed[11], true, 'the newest works');
  });

  it('redeems a login token exactly once under concurrent redemptions', async () => {
    const u = await newUser();
    const token = new URL((await cw('GET', `/users/${u.id}/login`)).body.url).searchParams.get('sso_auth_token')!;
    const results = await Promise.all(Array.from({ length: 10 }, () => servicesOf(srv.db).chatwoot.users.redeemLoginToken(u.email, token)));
    assert.equal(results.filter(Boolean).length, 1);
  });

  it("returns the user's existing access token and pubsub token (Chatwoot spec: token)", async () => {
    const u = await newUser();
    const r = await cw('POST', `/users/${u.id}/token`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.body).sort(), ['access_token', 'expiry', 'user']);
    assert.equal(r.body.expiry, null);
    assert.deepEqual(Object.keys(r.body.user).sort(), ['display_name', 'email', 'id', 'name', 'pubsub_token']);
    assert.equal(r.body.user.id, u.id);
    assert.equal(r.body.access_token, u.access_token);
    assert.equal(r.body.user.pubsub_token, u.pubsub_token);
    const again = await cw('POST', `/users/${u.id}/token`);
    assert.deepEqual(again.body, r.body, 'the same on every call');
    assert.equal(await servicesOf(srv.db).chatwoot.tokens.verifyUserToken(u.access_token), u.id, 'the token keeps working');
    const row = await srv.db.kysely.selectFrom('users').select('pubsub_token_digest').where('id', '=', u.id).executeTakeFirstOrThrow();
    assert.equal(row.pubsub_token_digest, digest(r.body.user.pubsub_token));
  });

  it('issues a token to a user who never had one (created by another API)', async () => {
    const email = uniqueEmail('notoken');
    const u = await servicesOf(srv.db).users.create({
      companyId: acme.companyId,
      email,
      name: 'No Token',
      passwordHash: null,
      emailVerified: true,
      createdVia: 'cli',
    });
    const linked = await cw('POST', '/users', { name: 'x', email });
    assert.equal(linked.body.access_token, null, 'no token yet');
    assert.equal(linked.body.pubsub_token, null, 'its pubsub token is kept as a digest only');
    const r = await cw('POST', `/users/${u.id}/token`);
    assert.equal(r.status, 200);
    assert.equal(await servicesOf(srv.db).chatwoot.tokens.verifyUserToken(r.body.access_token), u.id);
    assert.equal((await cw('POST', `/users/${u.id}/token`)).body.access_token, r.body.access_token, 'then stable');
    const shown = await cw('GET', `/users/${u.id}`);
    assert.equal(shown.body.access_token, r.body.access_token);
    assert.equal(shown.body.pubsub_token, r.body.user.pubsub_token);
  });

  it("refuses a user's access token as a platform app token", async () => {
    const u = await newUser();
    const r = await api(srv, u.access_token)('GET', `/users/${u.id}`);
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, { error: 'Invalid access_token' });
  });

  it('answers one of 10 concurrent deletes of a user, an account or an agent bot with 200 and the others 404, recording one event', async () => {
    const u = await newUser();
    const a = (await cw('POST', '/accounts', { name: 'Raced' })).body;
    const b = (await cw('POST', '/agent_bots', { name: 'Raced bot', account_id: a.id })).body;
    for (const [path, type, id] of [
      [`/users/${u.id}`, 'user.deleted', u.id],
      [`/agent_bots/${b.id}`, 'agent_bot.deleted', b.id],
      [`/accounts/${a.id}`, 'account.deleted', a.id],
    ] as const) {
      const replies = await Promise.all(Array.from({ length: 10 }, () => cw('DELETE', path)));
      assert.deepEqual(replies.map((r) => r.status).sort(), [200, ...Array<number>(9).fill(404)], path);
      // The same answer as a delete made after it.
      const after = await cw('DELETE', path);
      assert.equal(after.status, 404);
      for (const r of replies.filter((x) => x.status === 404)) assert.deepEqual(r.body, after.body);
      const events = await srv.db.kysely.selectFrom('events').select('id').where('type', '=', type).where('target_id', '=', String(id)).execute();
      assert.equal(events.length, 1, type);
    }
  });

  it('answers reads and updates racing a delete with 200 or 404, never 401 Non permissible resource', async () => {
    // The permission check reads the record and the app's link to it in one statement: a delete
    // that removes both between two reads made a record without a link (401).
    for (let round = 0; round < 5; round++) {
      const u = await newUser();
      const a = (await cw('POST', '/accounts', { name: 'Raced' })).body;
      const b = (await cw('POST', '/agent_bots', { name: 'Raced bot', account_id: a.id })).body;
      for (const path of [`/users/${u.id}`, `/agent_bots/${b.id}`, `/accounts/${a.id}`]) {
        const racing = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? cw('GET', path) : cw('PATCH', path, { name: `Renamed ${i}` })));
        const [deleted, ...replies] = await Promise.all([cw('DELETE', path), ...racing]);
        assert.equal(deleted.status, 200, path);
        for (const r of replies) assert.ok(r.status === 200 || r.status === 404, `${path}: ${r.status} ${JSON.stringify(r.body)}`);
      }
    }
  });

  it('deletes a user with their memberships, tokens and links (Chatwoot spec: delete)', async () => {
    const u = await newUser();
    const a = (await cw('POST', '/accounts', { name: 'With member' })).body;
    await cw('POST', `/accounts/${a.id}/account_users`, { user_id: u.id });
    await cw('GET', `/users/${u.id}/login`);
    await other('POST', '/users', { name: 'x', email: u.email });
    const r = await cw('DELETE', `/users/${u.id}`);
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
    assert.equal((await cw('GET', `/users/${u.id}`)).status, 404);
    assert.deepEqual((await cw('GET', `/accounts/${a.id}/account_users`)).body, []);
    for (const table of ['user_access_tokens', 'sso_login_tokens'] as const) {
      assert.equal((await srv.db.kysely.selectFrom(table).select('user_id').where('user_id', '=', u.id).execute()).length, 0, table);
    }
    const links = await srv.db.kysely
      .selectFrom('platform_app_permissibles')
      .select('id')
      .where('permissible_type', '=', 'User')
      .where('permissible_id', '=', u.id)
      .execute();
    assert.equal(links.length, 0);
    assert.equal(await servicesOf(srv.db).chatwoot.tokens.verifyUserToken(u.access_token), undefined);
  });

  it("answers 401 Non permissible resource for another app's user on every route (Chatwoot spec)", async () => {
    const theirs = (await other('POST', '/users', { name: 'Theirs', email: uniqueEmail(), password: GOOD_PASSWORD })).body;
    for (const [method, path] of [
      ['GET', ''],
      ['PATCH', ''],
      ['PUT', ''],
      ['DELETE', ''],
      ['GET', '/login'],
      ['POST', '/token'],
    ] as const) {
      const r = await cw(method, `/users/${theirs.id}${path}`, method === 'PATCH' || method === 'PUT' ? { name: 'hijacked' } : undefined);
      assert.equal(r.status, 401, `${method} ${path}: ${r.text}`);
      assert.deepEqual(r.body, { error: 'Non permissible resource' });
    }
    assert.equal((await other('GET', `/users/${theirs.id}`)).body.name, 'Theirs');
  });

  it('answers 404 for an unknown user id on every route', async () => {
    for (const [method, path] of [
      ['GET', ''],
      ['PATCH', ''],
      ['DELETE', ''],
      ['GET', '/login'],
      ['POST', '/token'],
    ] as const) {
      const r = await cw(method, `/users/987654${path}`, method === 'PATCH' ? { name: 'x' } : undefined);
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.deepEqual(r.body, { status: 404, error: 'Not Found' });
    }
  });

  describe('validation: 422, nothing written', () => {
    const cases: Array<[string, Record<string, unknown>, string, string[]]> = [
      ['no email', { name: 'x' }, "Email can't be blank", ['email']],
      ['a bad email', { name: 'x', email: 'not an email' }, 'Email is invalid', ['email']],
      ['no name', { email: 'EMAIL', password: GOOD_PASSWORD }, "Name can't be blank", ['name']],
      ['no password (Devise validatable)', { name: 'x', email: 'EMAIL' }, "Password can't be blank", ['password']],
      ['an empty password', { name: 'x', email: 'EMAIL', password: '' }, "Password can't be blank", ['password']],
      ['neither name nor password', { email: 'EMAIL', password: null }, "Name can't be blank, Password can't be blank", ['name', 'password']],
      ['a blank name', { name: ' ', email: 'EMAIL', password: GOOD_PASSWORD }, "Name can't be blank", ['name']],
      ['a long name', { name: 'n'.repeat(256), email: 'EMAIL', password: GOOD_PASSWORD }, 'Name is too long (maximum is 255 characters)', ['name']],
      ['a numeric email', { name: 'x', email: 42 }, 'Email must be a string or null', ['email']],
      ['a short password', { name: 'x', email: 'EMAIL', password: 'Aa1!' }, 'Password must be at least 8 characters', ['password']],
      [
        'a password without complexity',
        { name: 'x', email: 'EMAIL', password: 'alllowercaseletters' },
        'Password must contain at least one uppercase letter, Password must contain at least one digit, Password must contain at least one special character',
        ['password'],
      ],
      ['a password over 128', { name: 'x', email: 'EMAIL', password: `Aa1!${'x'.repeat(125)}` }, 'Password must be at most 128 characters', ['password']],
      [
        'a 7-character password Chatwoot would take',
        { name: 'x', email: 'EMAIL', password: 'Zq7!vbn' },
        'Password must be at least 8 characters',
        ['password'],
      ],
      [
        'a common password (company policy)',
        { name: 'x', email: 'EMAIL', password: 'P@ssw0rd' },
        'Password is one of the most common passwords; choose another',
        ['password'],
      ],
      [
        'custom attributes as an array',
        { name: 'x', email: 'EMAIL', password: GOOD_PASSWORD, custom_attributes: [1] },
        'Custom attributes must be an object or null',
        ['custom_attributes'],
      ],
    ];
    for (const [label, body, message, attributes] of cases) {
      it(`POST /users with ${label}`, async () => {
        const email = uniqueEmail('invalid');
        const r = await cw('POST', '/users', JSON.parse(JSON.stringify(body).replace('"EMAIL"', JSON.stringify(email))));
        assert.equal(r.status, 422, r.text);
        assert.deepEqual(r.body, { message, attributes });
        assert.equal((await srv.db.kysely.selectFrom('users').select('id').where('email', '=', email).execute()).length, 0);
      });
    }

    it('applies the company password policy', async () => {
      await srv.db.kysely
        .updateTable('companies')
        .set({ password_policy: JSON.stringify({ minLength: 20 }) })
        .where('id', '=', acme.companyId)
        .execute();
      try {
        const r = await cw('POST', '/users', { name: 'x', email: uniqueEmail(), password: GOOD_PASSWORD });
        assert.equal(r.status, 422);
        assert.deepEqual(r.body, { message: 'Password must be at least 20 characters', attributes: ['password'] });
      } finally {
        await srv.db.kysely.updateTable('companies').set({ password_policy: null }).where('id', '=', acme.companyId).execute();
      }
    });

    it('PATCH with bad values changes nothing', async () => {
      const u = await newUser();
      const r = await cw('PATCH', `/users/${u.id}`, { name: '', email: 'bad', password: 'weak' });
      assert.equal(r.status, 422);
      assert.deepEqual(r.body.attributes, ['name', 'email', 'password']);
      const after = (await cw('GET', `/users/${u.id}`)).body;
      assert.equal(after.name, u.name);
      assert.equal(after.email, u.email);
      const empty = await cw('PATCH', `/users/${u.id}`, { password: '' });
      assert.deepEqual(empty.body, { message: "Password can't be blank", attributes: ['password'] });
    });
  });
});
