import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { api, createTenant, GOOD_PASSWORD, PREFIX, uniqueEmail, type Api, type Tenant } from './helpers.js';
import { ROSTER_HASH } from '../fixtures/passwords.js';
import { servicesOf } from '../fixtures/services.js';

forEachStore('Chatwoot tenant boundary and hostile input', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0', FRONTEND_URL: 'https://app.example.test' });
  let acme: Tenant;
  let globex: Tenant;
  let cw: Api;
  let gx: Api;

  before(async () => {
    acme = await createTenant(srv, 'acme');
    globex = await createTenant(srv, 'globex');
    cw = api(srv, acme.token);
    gx = api(srv, globex.token);
  });

  describe('two companies, two platform apps', () => {
    it("refuses another company's email on POST /users with 422, linking and revealing nothing", async () => {
      const email = uniqueEmail('acme');
      const acmeUser = (await cw('POST', '/users', { name: 'Acme Person', email, password: GOOD_PASSWORD })).body;
      const r = await gx('POST', '/users', { name: 'Impostor', email: email.toUpperCase(), password: GOOD_PASSWORD });
      assert.equal(r.status, 422);
      assert.deepEqual(r.body, { message: 'Email has already been taken', attributes: ['email'] });
      const links = await srv.db.kysely
        .selectFrom('platform_app_permissibles')
        .select('id')
        .where('platform_app_id', '=', globex.appId)
        .where('permissible_type', '=', 'User')
        .execute();
      assert.equal(links.length, 0);
      for (const [method, path] of [
        ['GET', ''],
        ['PATCH', ''],
        ['DELETE', ''],
        ['GET', '/login'],
        ['POST', '/token'],
      ] as const) {
        const x = await gx(method, `/users/${acmeUser.id}${path}`, method === 'PATCH' ? { name: 'x' } : undefined);
        assert.equal(x.status, 401, `${method} ${path}`);
        assert.deepEqual(x.body, { error: 'Non permissible resource' });
      }
      assert.equal((await cw('GET', `/users/${acmeUser.id}`)).body.name, 'Acme Person');
    });

    it("cannot add another company's user to its account, nor touch another company's account", async () => {
      const acmeUser = (await cw('POST', '/users', { name: 'A', email: uniqueEmail(), password: GOOD_PASSWORD })).body;
      const acmeAccount = (await cw('POST', '/accounts', { name: 'Acme' })).body;
      const gAccount = (await gx('POST', '/accounts', { name: 'Globex' })).body;
      const r = await gx('POST', `/accounts/${gAccount.id}/account_users`, { user_id: acmeUser.id, role: 'administrator' });
      assert.equal(r.status, 422);
      assert.deepEqual(r.body, { message: 'User must exist', attributes: ['user'] });
      for (const method of ['GET', 'POST', 'DELETE']) {
        const x = await gx(method, `/accounts/${acmeAccount.id}/account_users`, method === 'GET' ? undefined : { user_id: acmeUser.id });
        assert.equal(x.status, 401);
      }
      assert.equal((await gx('GET', `/accounts/${acmeAccount.id}`)).status, 401);
      assert.ok(!(await gx('GET', '/accounts')).body.some((a: { id: number }) => a.id === acmeAccount.id));
      const rows = await srv.db.kysely.selectFrom('account_users').select('id').where('user_id', '=', acmeUser.id).execute();
      assert.equal(rows.length, 0);
    });

    it("cannot move a user onto another company's email, nor a bot onto another company's account", async () => {
      const gUser = (await gx('POST', '/users', { name: 'G', email: uniqueEmail('globex'), password: GOOD_PASSWORD })).body;
      const aUser = (await cw('POST', '/users', { name: 'A', email: uniqueEmail('acme'), password: GOOD_PASSWORD })).body;
      const r = await cw('PATCH', `/users/${aUser.id}`, { email: gUser.email });
      assert.deepEqual(r.body, { message: 'Email has already been taken', attributes: ['email'] });
      const gAccount = (await gx('POST', '/accounts', { name: 'G2' })).body;
      const bot = await cw('POST', '/agent_bots', { name: 'b', account_id: gAccount.id });
      assert.deepEqual(bot.body, { message: 'Account must exist', attributes: ['account'] });
    });

    it("keeps accounts and bots in the creating app's company", async () => {
      const a = (await gx('POST', '/accounts', { name: 'Owned' })).body;
      const b = (await gx('POST', '/agent_bots', { name: 'Owned' })).body;
      assert.equal(
        (await srv.db.kysely.selectFrom('accounts').select('company_id').where('id', '=', a.id).executeTakeFirstOrThrow()).company_id,
        globex.companyId,
      );
      assert.equal(
        (await srv.db.kysely.selectFrom('agent_bots').select('company_id').where('id', '=', b.id).executeTakeFirstOrThrow()).company_id,
        globex.companyId,
      );
    });
  });

  describe('the token', () => {
    it('reads api_access_token in any case, and Api-Access-Token', async () => {
      for (const name of ['api_access_token', 'API_ACCESS_TOKEN', 'Api-Access-Token', 'api-access-token']) {
        const r = await srv.call('GET', `${PREFIX}/accounts`, { headers: { [name]: acme.token } });
        assert.equal(r.status, 200, name);
      }
    });

    it('takes no token from the query string or an Authorization header', async () => {
      for (const r of [
        await srv.call('GET', `${PREFIX}/accounts?api_access_token=${encodeURIComponent(acme.token)}`),
        await srv.call('GET', `${PREFIX}/accounts`, { headers: { authorization: `Bearer ${acme.token}` } }),
      ]) {
        assert.equal(r.status, 401);
        assert.deepEqual(r.body, { error: 'Invalid access_token' });
      }
    });

    it('refuses a revoked platform app, a wrong secret and a token of another kind', async () => {
      const t = await servicesOf(srv.db).credentials.createToken('platform_app', { companyCode: 'acme', name: 'short-lived' });
      assert.equal((await api(srv, t.token)('GET', '/accounts')).status, 200);
      await servicesOf(srv.db).credentials.revoke('platform_app', t.id);
      const apiToken = await servicesOf(srv.db).credentials.createToken('api_token', { companyCode: 'acme' });
      const forged = `${t.token.slice(0, -4)}AAAA`;
      for (const token of [t.token, forged, apiToken.token, `${acme.token} `.repeat(2), 'x'.repeat(5000)]) {
        const r = await api(srv, token)('GET', '/accounts');
        assert.equal(r.status, 401);
        assert.deepEqual(r.body, { error: 'Invalid access_token' });
      }
    });

    it('checks the token before the route exists in the API and before lookup', async () => {
      assert.equal((await api(srv, 'invalid')('GET', '/accounts/987654')).status, 401);
      assert.equal((await api(srv, undefined)('DELETE', '/users/987654')).status, 401);
    });
  });

  describe("errors in Chatwoot's style", () => {
    it('answers 404 {"error":"Not Found"} for unknown routes, with or without a token', async () => {
      for (const r of [await cw('GET', '/nope'), await api(srv, undefined)('GET', '/nope'), await cw('GET', '/users'), await cw('POST', '/accounts/1/nope')]) {
        assert.equal(r.status, 404);
        assert.deepEqual(r.body, { status: 404, error: 'Not Found' });
      }
    });

    it('answers 400 for malformed JSON and __proto__ poisoning', async () => {
      for (const body of ['{"name":', '{"name":"x"}}', '{"__proto__":{"admin":true},"name":"x"}', '{"constructor":{"prototype":{"x":1}}}']) {
        const r = await srv.call('POST', `${PREFIX}/accounts`, { headers: { api_access_token: acme.token, 'content-type': 'application/json' }, body });
        assert.equal(r.status, 400, body);
        assert.equal(r.body.error, 'Bad Request');
        assert.equal(typeof r.body.message, 'string');
      }
    });

    it('answers 413 for a body over 1 MiB and 415 for a body that is not JSON, a form or multipart', async () => {
      const big = await cw('POST', '/accounts', { name: 'x', custom_attributes: { blob: 'x'.repeat(1024 * 1024) } });
      assert.equal(big.status, 413);
      assert.equal(big.body.error, 'Payload Too Large');
      const text = await srv.call('POST', `${PREFIX}/accounts`, {
        headers: { api_access_token: acme.token, 'content-type': 'text/plain' },
        body: 'name=x',
      });
      assert.equal(text.status, 415);
      assert.equal(text.body.error, 'Unsupported Media Type');
      const form = await srv.call('POST', `${PREFIX}/accounts`, {
        headers: { api_access_token: acme.token, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'name=x',
      });
      assert.equal(form.status, 200, 'a form body, as Rails reads it');
      const xml = await srv.call('POST', `${PREFIX}/accounts`, { headers: { api_access_token: acme.token, 'content-type': 'application/xml' }, body: '<a/>' });
      assert.equal(xml.status, 415);
      assert.deepEqual(xml.body, {
        error: 'Unsupported Media Type',
        message: 'The body must be JSON, application/x-www-form-urlencoded or multipart/form-data',
      });
    });

    it('marks every answer no-store', async () => {
      for (const r of [await cw('GET', '/accounts'), await cw('GET', '/accounts/987654'), await api(srv, undefined)('GET', '/accounts')]) {
        assert.equal(r.headers.get('cache-control'), 'no-store');
      }
    });
  });

  it('never answers 500 to hostile input', async () => {
    const account = (await cw('POST', '/accounts', { name: 'Target' })).body.id;
    const user = (await cw('POST', '/users', { name: 'Target', email: uniqueEmail(), password: GOOD_PASSWORD })).body.id;
    const bot = (await cw('POST', '/agent_bots', { name: 'Target' })).body.id;
    const deep = JSON.parse('{"a":'.repeat(200) + '1' + '}'.repeat(200));
    const values: unknown[] = [
      null,
      true,
      0,
      -1,
      1e308,
      2 ** 63,
      'x'.repeat(10_000),
      '\u0000',
      'a\u0000b',
      '\ud800',
      '😀'.repeat(300),
      '<script>alert(1)</script>',
      "'; drop table users; --",
      [],
      [1, 'a'],
      {},
      deep,
      { __proto__: { admin: true } },
      { constructor: { prototype: {} } },
    ];
    const fields = [
      'name',
      'email',
      'password',
      'display_name',
      'locale',
      'domain',
      'support_email',
      'status',
      'features',
      'limits',
      'custom_attributes',
      'user_id',
      'role',
      'outgoing_url',
      'account_id',
      'description',
    ];
    const routes: Array<[string, string]> = [
      ['POST', '/accounts'],
      ['PATCH', `/accounts/${account}`],
      ['POST', '/users'],
      ['PUT', `/users/${user}`],
      ['POST', `/accounts/${account}/account_users`],
      ['DELETE', `/accounts/${account}/account_users`],
      ['POST', '/agent_bots'],
      ['PATCH', `/agent_bots/${bot}`],
    ];
    const failures: string[] = [];
    for (const [method, path] of routes) {
      for (const field of fields) {
        for (const value of values) {
          const body = { name: 'Valid', email: uniqueEmail('fuzz'), [field]: value };
          const r = await cw(method, path, body);
          if (r.status >= 500 || (r.text !== '' && typeof r.body !== 'object'))
            failures.push(`${method} ${path} ${field}=${JSON.stringify(value)?.slice(0, 40)} -> ${r.status} ${r.text.slice(0, 80)}`);
        }
      }
      for (const raw of ['[]', '"x"', '1', 'null', 'true', '{"user_id":{"$gt":0}}']) {
        const r = await srv.call(method, PREFIX + path, { headers: { api_access_token: acme.token, 'content-type': 'application/json' }, body: raw });
        if (r.status >= 500) failures.push(`${method} ${path} ${raw} -> ${r.status}`);
      }
    }
    for (const id of ['0x1', '1;DROP', '%00', '..%2F..%2Fetc', '1 OR 1=1', '9'.repeat(400), '-0', '٣']) {
      for (const p of [`/accounts/${id}`, `/users/${id}`, `/agent_bots/${id}`, `/accounts/${id}/account_users`, `/users/${id}/login`]) {
        const r = await cw('GET', p);
        // 414: Fastify's router refuses a path parameter over 100 characters before any route runs.
        if (r.status >= 500 || ![401, 404, 414].includes(r.status)) failures.push(`GET ${p} -> ${r.status}`);
      }
    }
    assert.deepEqual(failures, []);
    assert.equal((await cw('GET', `/accounts/${account}`)).status, 200, 'the target survived');
  });

  it('stores no plaintext password or token anywhere', async () => {
    const secrets: string[] = [acme.token.split('.')[1]!, globex.token.split('.')[1]!];
    const password = 'Sec-ret-Pa55word!';
    const u = (await cw('POST', '/users', { name: 'Secret', email: uniqueEmail('secret'), password })).body;
    secrets.push(password, u.access_token, u.access_token.split('.')[1], u.pubsub_token);
    const t = (await cw('POST', `/users/${u.id}/token`)).body;
    secrets.push(t.access_token.split('.')[1], t.user.pubsub_token);
    await cw('PATCH', `/users/${u.id}`, { password: 'An0ther-Pa55word!' });
    secrets.push('An0ther-Pa55word!');
    const login = new URL((await cw('GET', `/users/${u.id}/login`)).body.url).searchParams.get('sso_auth_token')!;
    secrets.push(login);
    const bot = (await cw('POST', '/agent_bots', { name: 'Secret bot' })).body;
    secrets.push(bot.access_token.split('.')[1]);

    const tables = [
      'companies',
      'bots',
      'credentials',
      'users',
      'accounts',
      'account_users',
      'agent_bots',
      'platform_app_permissibles',
      'user_access_tokens',
      'sso_login_tokens',
    ] as const;
    const dump = (await Promise.all(tables.map((table) => srv.db.kysely.selectFrom(table).selectAll().execute())))
      .map((rows) => JSON.stringify(rows))
      .join('\n');
    for (const s of secrets) {
      assert.ok(s && s.length >= 16, 'a real secret');
      assert.equal(dump.includes(s), false, `found a secret in the database: ${s.slice(0, 6)}...`);
    }
    const row = await srv.db.kysely.selectFrom('users').select('password_hash').where('id', '=', u.id).executeTakeFirstOrThrow();
    assert.match(row.password_hash!, ROSTER_HASH);
  });
});
