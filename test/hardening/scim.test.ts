/**
 * SCIM under the hardening guards of the other APIs (issue 9, points 1, 2, 7 and 8 applied to SCIM):
 * its bodies go through the same JSON guards (depth, size, well-formed text, UTF-8 only, no content
 * encoding, finite numbers), answered as SCIM errors and never a 500, with nothing written; and a
 * deactivation through SCIM (PUT or PATCH `active: false`) lets no login that checked the password
 * before it open a session, on both stores; failed SCIM token checks are limited per address and per
 * token id like the other API credentials (point 10; credential-limits.test.ts has every API).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDb, type Db } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { createTestDatabase, forEachStore, type TestDatabase } from '../fixtures/databases.js';
import { inject, type Reply } from '../fixtures/http.js';
import { withApp } from '../fixtures/server.js';
import { servicesOf, TEST_SECRET_KEY } from '../fixtures/services.js';
import { hookedDialect } from '../fixtures/statement-hook.js';
import { ERROR_SCHEMA, GOOD_PASSWORD, oktaUser, patchOp, SCIM, scimClient, scimTenant, SCIM_TYPE, uniqueEmail, type Scim } from '../scim/helpers.js';

/** `{"a":{"a":...1...}}`, `levels` objects deep. */
const nested = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

forEachStore('SCIM bodies under the JSON guards', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0' });
  let token: string;
  let scim: Scim;
  let userId: string;

  before(async () => {
    token = (await scimTenant(srv, 'acme')).token;
    scim = scimClient(srv, token);
    const u = await scim('POST', '/Users', oktaUser(uniqueEmail('guarded')));
    assert.equal(u.status, 201, u.text);
    userId = u.body.id;
  });

  const raw = (method: string, path: string, body: string, headers: Record<string, string> = {}) =>
    srv.call(method, SCIM + path, { headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', ...headers }, body });

  const userCount = async () =>
    Number(
      (
        await srv.db.kysely
          .selectFrom('users')
          .select((e) => e.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  function isScimError(r: { status: number; body: any; headers: Headers; text: string }, status: number, scimType?: string) {
    assert.equal(r.status, status, r.text.slice(0, 300));
    assert.equal(r.headers.get('content-type'), SCIM_TYPE);
    assert.deepEqual(r.body.schemas, [ERROR_SCHEMA]);
    assert.equal(r.body.status, String(status));
    if (scimType !== undefined) assert.equal(r.body.scimType, scimType);
  }

  const routes = () =>
    [
      ['POST', '/Users'],
      ['PUT', `/Users/${userId}`],
      ['PATCH', `/Users/${userId}`],
      ['POST', '/Groups'],
      ['POST', '/Bulk'],
      ['POST', '/Users/.search'],
      ['POST', '/.search'],
    ] as const;

  it('answers a 10 KB body 5,000 levels deep with 400 invalidSyntax on every route and both media types, writing nothing', async () => {
    const users = await userCount();
    const body = `{"userName":"${uniqueEmail('deep')}","title":${nested(5000)}}`;
    assert.ok(body.length > 10_000 && body.length < 40_000);
    for (const [method, path] of routes()) {
      for (const type of ['application/scim+json', 'application/json; charset=utf-8']) {
        const r = await raw(method, path, body, { 'content-type': type });
        isScimError(r, 400, 'invalidSyntax');
        assert.equal(r.body.detail, 'The body is nested too deeply (maximum is 32 levels)', `${method} ${path}`);
      }
    }
    // Shorter than the pre-parse scan's threshold: refused after parsing, the same way.
    const short = await raw('POST', '/Users', `{"userName":"${uniqueEmail('deep')}","x":${'['.repeat(40)}${']'.repeat(40)}}`);
    isScimError(short, 400, 'invalidSyntax');
    assert.equal(await userCount(), users, 'nothing was written');
  });

  it('still reads the deepest bodies SCIM clients send (a /Bulk PATCH of an enterprise manager)', async () => {
    const r = await scim('POST', '/Bulk', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [
        {
          method: 'PATCH',
          path: `/Users/${userId}`,
          data: patchOp({ op: 'add', value: { 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { manager: { value: userId } } } }),
        },
      ],
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.Operations[0].status, '200', r.text);
  });

  it('refuses text that is not well-formed Unicode (400 invalidValue), in values and in keys', async () => {
    const users = await userCount();
    const lone = await scim('POST', '/Users', oktaUser('ls\ud800@example.com'));
    isScimError(lone, 400, 'invalidValue');
    assert.match(lone.body.detail, /userName is not well-formed Unicode text/);
    const key = await raw('PATCH', `/Users/${userId}`, '{"Operations":[{"op":"add","value":{"title\\udfff":"x"}}]}');
    isScimError(key, 400, 'invalidValue');
    const group = await scim('POST', '/Groups', { displayName: 'x\udbffy' });
    isScimError(group, 400, 'invalidValue');
    assert.equal(await userCount(), users);
  });

  it('refuses numbers that are not finite (400 invalidValue)', async () => {
    const search = await raw('POST', '/Users/.search', '{"startIndex":1e309}');
    isScimError(search, 400, 'invalidValue');
    assert.match(search.body.detail, /startIndex is not a finite number/);
    const user = await raw('POST', '/Users', `{"userName":"${uniqueEmail('num')}","x-extra":-1e400}`);
    isScimError(user, 400, 'invalidValue');
  });

  it('answers 415 for a charset other than UTF-8 and for a Content-Encoding it does not decode, 413 past 1 MiB', async () => {
    const body = JSON.stringify(oktaUser(uniqueEmail('latin')));
    for (const headers of <Array<Record<string, string>>>[
      { 'content-type': 'application/scim+json; charset=iso-8859-1' },
      { 'content-type': 'application/json; charset="windows-1252"' },
      { 'content-type': 'application/scim+json', 'content-encoding': 'gzip' },
      { 'content-type': 'application/scim+json', 'content-encoding': 'br' },
    ]) {
      const r = await raw('POST', '/Users', body, headers);
      isScimError(r, 415);
      assert.match(r.body.detail, /UTF-8|Content-Encoding/);
    }
    const big = await raw('POST', '/Users', `{"userName":"${uniqueEmail('big')}","title":"${'x'.repeat(1_048_577)}"}`);
    isScimError(big, 413);
    const ok = await raw('POST', '/Users', body, { 'content-type': 'application/scim+json; charset=UTF-8', 'content-encoding': 'identity' });
    assert.equal(ok.status, 201, ok.text);
  });
});

forEachStore('a login racing a SCIM deactivation', (kind) => {
  let database: TestDatabase;
  let db: Db;
  let other: Db;
  let app: FastifyInstance;
  let otherApp: FastifyInstance;
  let token: string;
  /** Run once, just before the next session insert reaches the database. */
  let atSessionInsert: (() => Promise<void>) | undefined;

  before(async () => {
    database = await createTestDatabase(kind);
    db = openDb(database.url, {
      wrapDialect: (d) =>
        hookedDialect(d, async (sql) => {
          if (atSessionInsert && /^insert into "sessions"/i.test(sql)) {
            const hook = atSessionInsert;
            atSessionInsert = undefined;
            await hook();
          }
        }),
    });
    await migrateToLatest(db);
    // Another node: its own connection to the same database, and its own app serving SCIM.
    other = openDb(database.url);
    const s = servicesOf(db);
    await s.companies.create({ code: 'acme', name: 'Acme' });
    token = (await s.credentials.createToken('scim_token', { companyCode: 'acme', name: 'Okta' })).token;
    const config = loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent', SEED_DEMO: 'false', ROSTER_SECRET_KEY: TEST_SECRET_KEY });
    app = await buildApp({ config, db });
    otherApp = await buildApp({ config, db: other });
  });
  after(async () => {
    await app.close();
    await otherApp.close();
    await other.close();
    await db.close();
    await database.drop();
  });

  const scimOnOther = (method: string, path: string, json: unknown) =>
    inject(otherApp, method, SCIM + path, { headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, json });
  const login = (email: string) => inject(app, 'POST', '/api/user/login', { json: { email, password: GOOD_PASSWORD } });
  const me = (session: string) => inject(app, 'GET', '/api/user/me', { headers: { authorization: `Bearer ${session}` } });

  const deactivations: Array<[string, (id: string, current: any) => [string, string, unknown]]> = [
    ['PATCH active: false', (id) => ['PATCH', `/Users/${id}`, patchOp({ op: 'replace', path: 'active', value: false })]],
    ['PATCH {value: {active: "False"}}', (id) => ['PATCH', `/Users/${id}`, patchOp({ op: 'Replace', value: { active: 'False' } })]],
    ['PUT active: false', (id, current) => ['PUT', `/Users/${id}`, { ...current, active: false }]],
    [
      '/Bulk PATCH active: false',
      (id) => ['POST', '/Bulk', { Operations: [{ method: 'PATCH', path: `/Users/${id}`, data: patchOp({ op: 'replace', path: 'active', value: false }) }] }],
    ],
  ];

  for (const [name, request] of deactivations) {
    it(`${name}: ends the sessions, and a login that checked the password just before opens none (401)`, async () => {
      const email = uniqueEmail('racer');
      const created = await scimOnOther('POST', '/Users', oktaUser(email));
      assert.equal(created.status, 201, created.text);
      const id = created.body.id as string;
      const before = await login(email);
      assert.equal(before.status, 200, before.text);
      const session = before.body.data.token as string;

      let answer: Reply | undefined;
      atSessionInsert = async () => {
        const [method, path, json] = request(id, created.body);
        answer = await scimOnOther(method, path, json);
      };
      const r = await login(email);
      assert.equal(atSessionInsert, undefined, 'the login reached its session insert');
      assert.equal(answer?.status, 200, answer?.text);
      if (name.startsWith('/Bulk')) assert.equal(answer.body.Operations[0].status, '200', answer.text);
      assert.equal(r.status, 401, r.text);
      assert.equal(r.body.errorCode, 'INVALID_CREDENTIALS');
      assert.deepEqual(await db.kysely.selectFrom('sessions').select('token_digest').where('user_id', '=', Number(id)).execute(), [], 'no session left');
      assert.equal((await me(session)).status, 401, 'the session opened before ended');
      const again = await login(email);
      assert.equal(again.status, 403, 'a deactivated user is refused');
    });
  }

  it('refuses a session that outlived its user’s deactivation anywhere sessions are accepted (GET /api/user/me)', async () => {
    const email = uniqueEmail('leftover');
    const created = await scimOnOther('POST', '/Users', oktaUser(email));
    const session = (await login(email)).body.data.token as string;
    assert.equal((await me(session)).status, 200);
    // Deactivated by a write that (wrongly) kept the sessions: the session check itself refuses it.
    await db.kysely.updateTable('users').set({ active: 0 }).where('id', '=', Number(created.body.id)).execute();
    const r = await me(session);
    assert.equal(r.status, 401, r.text);
    assert.equal(r.body.errorCode, 'INVALID_SESSION');
    await db.kysely.updateTable('users').set({ active: 1 }).where('id', '=', Number(created.body.id)).execute();
    assert.equal((await me(session)).status, 200, 'the same session, the user active again');
  });

  it('a deleted user’s sessions are gone with them', async () => {
    const email = uniqueEmail('deleted');
    const created = await scimOnOther('POST', '/Users', oktaUser(email));
    const session = (await login(email)).body.data.token as string;
    assert.equal((await scimOnOther('DELETE', `/Users/${created.body.id}`, undefined)).status, 204);
    assert.equal((await me(session)).status, 401);
    assert.deepEqual(await db.kysely.selectFrom('sessions').select('token_digest').where('user_id', '=', Number(created.body.id)).execute(), []);
  });
});

forEachStore('SCIM tokens under the credential limits', (kind) => {
  const srv = withApp(kind, {
    TRUST_PROXY: 'true',
    CREDENTIAL_CACHE_TTL_MS: '0',
    CREDENTIAL_MAX_FAILURES_PER_IP: '3',
    CREDENTIAL_MAX_FAILURES_PER_ID: '6',
    CREDENTIAL_WINDOW_SECONDS: '120',
  });
  let token: string;
  before(async () => {
    token = (await scimTenant(srv, 'acme')).token;
  });
  const get = (bearer: string, ip: string) =>
    srv.call('GET', `${SCIM}/Users?count=1`, { headers: { authorization: `Bearer ${bearer}`, 'x-forwarded-for': ip } });
  const wrong = () => token.replace(/\.[^.]+$/, `.${randomBytes(32).toString('base64url')}`);

  function is429(r: { status: number; body: any; headers: Headers }) {
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('content-type'), SCIM_TYPE);
    assert.deepEqual(r.body, { schemas: [ERROR_SCHEMA], status: '429', detail: 'Too many failed credential checks; try again later' });
    const retryAfter = Number(r.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 120, String(retryAfter));
  }

  it('locks out the guessing address (429 in SCIM format, Retry-After), not the good token from elsewhere', async () => {
    for (let k = 0; k < 3; k++) assert.equal((await get(wrong(), '198.51.100.7')).status, 401);
    is429(await get(wrong(), '198.51.100.7'));
    is429(await get(token, '198.51.100.7'));
    assert.equal((await get(token, '203.0.113.7')).status, 200, 'the good token from another address');
  });

  it('counts failures per token id from every address: past the limit each failure is a 429, the good token still works', async () => {
    const statuses: number[] = [];
    for (let k = 0; k < 4; k++) statuses.push((await get(wrong(), `192.0.2.${k + 1}`)).status);
    // Three failures were counted against the id by the previous test.
    assert.deepEqual(statuses, [401, 401, 401, 429]);
    is429(await get(wrong(), '192.0.2.50'));
    assert.equal((await get(token, '192.0.2.51')).status, 200, 'not locked: the id is public, its secret is not');
  });
});
