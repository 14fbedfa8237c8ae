/**
 * Issue 9, points 2, 7 and 8: what a JSON body may carry. Deep or large free-form fields, text that
 * is not well-formed Unicode, numbers that cannot be kept exactly, charsets and encodings roster
 * does not decode: each refused before it is stored, in each API's own error format.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { forEachStore } from '../fixtures/databases.js';
import { call } from '../fixtures/http.js';
import { startTestServer, type Stoppable, type TestServer } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';
import { api, createTenant, PREFIX, uniqueEmail, type Api, type Tenant } from '../chatwoot/helpers.js';

/** `{"a":{"a":...1...}}`, `levels` objects deep, as text: JSON.parse would build it, JSON.stringify not print it back. */
const nested = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

forEachStore('JSON bodies', (kind) => {
  let srv: TestServer & Stoppable;
  let acme: Tenant;
  let cw: Api;
  let widget: string;
  let apiToken: string;

  before(async () => {
    srv = await startTestServer(kind, { CREDENTIAL_CACHE_TTL_MS: '0' });
    acme = await createTenant(srv, 'acme');
    cw = api(srv, acme.token);
    const c = await servicesOf(srv.db).credentials.createWidgetClient({ companyCode: 'acme' });
    widget = `${c.clientId}:${c.clientSecret}`;
    apiToken = (await servicesOf(srv.db).credentials.createToken('api_token', { companyCode: 'acme' })).token;
    await servicesOf(srv.db).companies.create({ code: 'spare', name: 'Spare' });
  });
  after(() => srv.stop());

  /** A Chatwoot call with a raw JSON text body. */
  const cwRaw = (method: string, path: string, body: string, headers: Record<string, string> = {}) =>
    call(srv.url, method, PREFIX + path, { headers: { api_access_token: acme.token, 'content-type': 'application/json', ...headers }, body });

  describe('point 2: free-form JSON fields (Chatwoot custom_attributes, limits)', () => {
    it('answers 422 in Chatwoot format, not 500, for 20,000 levels (the overflow starts near 4,100) on every route that takes them', async () => {
      const user = (await cw('POST', '/users', { name: 'Deep', email: uniqueEmail('deep'), password: 'Tr0ub4dor&3-horse' })).body;
      const cases: Array<[string, string, string]> = [
        ['POST', '/accounts', 'custom_attributes'],
        ['POST', '/accounts', 'limits'],
        ['POST', '/users', 'custom_attributes'],
        ['PATCH', `/users/${user.id}`, 'custom_attributes'],
      ];
      for (const [method, path, field] of cases) {
        const body = `{"name":"Deep","email":"${uniqueEmail('deep')}","${field}":${nested(20_000)}}`;
        assert.ok(body.length < 200_000);
        const r = await cwRaw(method, path, body);
        assert.equal(r.status, 422, `${method} ${path} ${field}: ${r.text}`);
        assert.deepEqual(r.body.attributes, [field]);
        assert.match(r.body.message, /is nested too deeply/);
      }
    });

    it('bounds each field to 8 levels and 16 KiB, with Rails-style messages', async () => {
      const nine = await cwRaw('POST', '/accounts', `{"name":"x","custom_attributes":${nested(9)}}`);
      assert.equal(nine.status, 422, nine.text);
      assert.deepEqual(nine.body, { message: 'Custom attributes is nested too deeply (maximum is 8 levels)', attributes: ['custom_attributes'] });
      const eight = await cwRaw('POST', '/accounts', `{"name":"x","custom_attributes":${nested(8)}}`);
      assert.equal(eight.status, 200, eight.text);
      const big = await cw('POST', '/accounts', {
        name: 'x',
        limits: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 1])),
        custom_attributes: { blob: 'x'.repeat(17_000) },
      });
      assert.equal(big.status, 422, big.text);
      assert.deepEqual(big.body, { message: 'Custom attributes is too large (maximum is 16384 bytes)', attributes: ['custom_attributes'] });
      const deepLimits = await cwRaw('POST', '/accounts', `{"name":"x","limits":{"a":${nested(8)}}}`);
      assert.equal(deepLimits.status, 422, deepLimits.text);
      assert.deepEqual(deepLimits.body.attributes, ['limits']);
    });

    it("keeps a user's merged custom attributes within 16 KiB too", async () => {
      const u = (
        await cw('POST', '/users', { name: 'Grower', email: uniqueEmail('grow'), password: 'Tr0ub4dor&3-horse', custom_attributes: { a: 'x'.repeat(10_000) } })
      ).body;
      const r = await cw('PATCH', `/users/${u.id}`, { custom_attributes: { b: 'y'.repeat(10_000) } });
      assert.equal(r.status, 422, r.text);
      assert.deepEqual(r.body, { message: 'Custom attributes is too large (maximum is 16384 bytes)', attributes: ['custom_attributes'] });
      assert.deepEqual(Object.keys((await cw('GET', `/users/${u.id}`)).body.custom_attributes), ['a'], 'nothing was stored');
    });

    it('refuses any body nested over 32 levels on the other APIs too, in their formats', async () => {
      const jelou = await call(srv.url, 'POST', '/v1/widget/user', {
        headers: { authorization: widget, 'content-type': 'application/json' },
        body: `{"user":{"id":"u","names":"n","extra":${nested(4100)}}}`,
      });
      assert.equal(jelou.status, 400, jelou.text);
      assert.equal(jelou.body.statusMessage, 'failure');
      assert.equal(jelou.body.error.key, 'JSON_TOO_DEEP');
      assert.ok('user' in jelou.body.validationError);
      const plazbot = await call(srv.url, 'POST', '/api/user', {
        headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
        body: `{"name":"a","extra":${nested(40)}}`,
      });
      assert.equal(plazbot.status, 400, plazbot.text);
      assert.equal(plazbot.body.success, false);
      assert.equal(plazbot.body.errorCode, 'JSON_TOO_DEEP');
      assert.deepEqual(plazbot.body.errors, [{ field: 'extra', message: 'is nested too deeply (maximum is 32 levels)' }]);
    });
  });

  describe('point 7: text that is not well-formed Unicode, charsets and encodings', () => {
    const jelou = (json: unknown) => call(srv.url, 'POST', '/v1/widget/user', { headers: { authorization: widget }, json });

    it('refuses lone surrogates in Jelou (400), storing nothing, so x\\ud800y and x\\udfffy never become one user', async () => {
      for (const id of ['x\ud800y', 'x\udfffy']) {
        const r = await jelou({ user: { id, names: 'Lone' } });
        assert.equal(r.status, 400, r.text);
        assert.equal(r.body.error.key, 'INVALID_TEXT');
        assert.deepEqual(r.body.validationError, { 'user.id': 'is not well-formed Unicode text' });
      }
      const names = await jelou({ user: { id: 'fine', names: 'a\udc00' } });
      assert.equal(names.status, 400);
      assert.deepEqual(names.body.validationError, { 'user.names': 'is not well-formed Unicode text' });
      const rows = await srv.db.kysely.selectFrom('widget_users').select('reference_id').execute();
      assert.deepEqual(rows, []);
      assert.equal((await jelou({ user: { id: 'x😀y', names: 'Paired surrogates are fine' } })).status, 200);
    });

    it('refuses them in Plazbot (400): a login as ls\\ud800@... is not a login as ls\\udbff@...', async () => {
      const login = await call(srv.url, 'POST', '/api/user/login', { json: { email: 'ls\ud800@example.com', password: 'Whatever-123' } });
      assert.equal(login.status, 400, login.text);
      assert.deepEqual(login.body.errors, [{ field: 'email', message: 'is not well-formed Unicode text' }]);
      const create = await call(srv.url, 'POST', '/api/user', {
        headers: { authorization: `Bearer ${apiToken}` },
        json: { name: 'A\udbff', lastName: 'B', email: 'ls\udbff@example.com', password: 'Secure-Passphrase-123!', company: 'acme' },
      });
      assert.equal(create.status, 400, create.text);
      assert.equal(create.body.errorCode, 'INVALID_TEXT');
    });

    it('refuses them in Chatwoot (422), in values and in keys', async () => {
      const r = await cw('POST', '/users', { name: 'Bad\ud800', email: uniqueEmail('lone'), password: 'Tr0ub4dor&3-horse' });
      assert.equal(r.status, 422, r.text);
      assert.deepEqual(r.body, { message: 'Name is not well-formed Unicode text', attributes: ['name'] });
      const key = await cw('POST', '/accounts', { name: 'Keys', custom_attributes: { 'k\udfff': 1 } });
      assert.equal(key.status, 422, key.text);
      assert.deepEqual(key.body.attributes, ['custom_attributes']);
    });

    it('answers 415 for a charset other than UTF-8 and for a Content-Encoding it does not decode, on every API', async () => {
      const latin1 = Buffer.from('{"user":{"id":"caf\xe9","names":"Jos\xe9"}}', 'latin1');
      const targets: Array<[string, Record<string, string>, (r: any) => void]> = [
        ['/v1/widget/user', { authorization: widget }, (r) => assert.equal(r.body.statusMessage, 'failure')],
        ['/api/user/login', {}, (r) => assert.equal(r.body.success, false)],
        [`${PREFIX}/accounts`, { api_access_token: acme.token }, (r) => assert.equal(r.body.error, 'Unsupported Media Type')],
      ];
      for (const [path, auth, format] of targets) {
        for (const [headers, code] of [
          [{ 'content-type': 'application/json; charset=iso-8859-1' }, 'UNSUPPORTED_CHARSET'],
          [{ 'content-type': 'application/json; charset="windows-1252"' }, 'UNSUPPORTED_CHARSET'],
          [{ 'content-type': 'application/json', 'content-encoding': 'br' }, 'UNSUPPORTED_CONTENT_ENCODING'],
          [{ 'content-type': 'application/json', 'content-encoding': 'gzip' }, 'UNSUPPORTED_CONTENT_ENCODING'],
        ] as const) {
          const res = await fetch(srv.url + path, { method: 'POST', headers: { ...auth, ...headers }, body: latin1 });
          // Typed any either way: Response.json() is unknown in Node's types, any in the DOM's (which preact's JSX types load).
          const body: any = await res.json();
          const r = { status: res.status, body };
          assert.equal(r.status, 415, `${path} ${JSON.stringify(headers)}: ${JSON.stringify(r.body)}`);
          format(r);
          if (path.startsWith('/api')) assert.equal(r.body.errorCode, code);
        }
      }
      const utf8 = await call(srv.url, 'POST', '/v1/widget/user', {
        headers: { authorization: widget, 'content-type': 'application/json; charset=UTF-8', 'content-encoding': 'identity' },
        body: JSON.stringify({ user: { id: 'café', names: 'José' } }),
      });
      assert.equal(utf8.status, 200, utf8.text);
      assert.equal(utf8.body.data.User.names, 'José');
    });

    it('refuses bytes that are not UTF-8 (400) rather than storing U+FFFD', async () => {
      const bytes = Buffer.concat([Buffer.from('{"user":{"id":"bad-bytes","names":"Jos'), Buffer.from([0xe9]), Buffer.from('"}}')]);
      const res = await fetch(srv.url + '/v1/widget/user', {
        method: 'POST',
        headers: { authorization: widget, 'content-type': 'application/json' },
        body: bytes,
      });
      assert.equal(res.status, 400);
      const answer: any = await res.json();
      assert.equal(answer.error.key, 'MALFORMED_JSON');
      const rows = await srv.db.kysely.selectFrom('widget_users').select('names').where('reference_id', '=', 'bad-bytes').execute();
      assert.deepEqual(rows, []);
    });
  });

  describe('bodies no parser can read', () => {
    it("answers them with a 4xx in each API's format, never a 500: multipart is read by Chatwoot only (400), a 415 elsewhere", async () => {
      const truncated = '--X\r\nContent-Disposition: form-data; name="name"\r\n\r\ntrunc';
      const bodies: Array<[string, string | Uint8Array]> = [
        ['multipart/form-data', 'x'],
        ['multipart/form-data; boundary=X', truncated],
        ['multipart/form-data; boundary=Y', `${truncated}\r\n--X--\r\n`],
        [
          'multipart/form-data; boundary=X',
          Buffer.concat([Buffer.from('--X\r\nContent-Disposition: form-data; name="n"\r\n\r\n'), Buffer.from([0xff]), Buffer.from('\r\n--X--\r\n')]),
        ],
        ['application/x-www-form-urlencoded', 'name=%FF%FEBad'],
        ['application/x-www-form-urlencoded', Buffer.from([0x6e, 0x3d, 0xff])],
      ];
      const targets: Array<[string, Record<string, string>, number, (r: any) => void]> = [
        ['/v1/widget/user', { authorization: widget }, 415, (r) => assert.equal(r.body.statusMessage, 'failure')],
        ['/api/user', { authorization: `Bearer ${apiToken}` }, 415, (r) => assert.equal(r.body.success, false)],
        [`${PREFIX}/accounts`, { api_access_token: acme.token }, 400, (r) => assert.equal(r.body.error, 'Bad Request')],
      ];
      const before = (await srv.db.kysely.selectFrom('accounts').select('id').execute()).length;
      for (const [path, auth, status, format] of targets) {
        for (const [contentType, body] of bodies) {
          const r = await call(srv.url, 'POST', path, { headers: { ...auth, 'content-type': contentType }, body });
          assert.equal(r.status, status, `${path} ${contentType}: ${r.text}`);
          format(r);
        }
      }
      assert.equal((await srv.db.kysely.selectFrom('accounts').select('id').execute()).length, before, 'nothing written');
    });
  });

  describe('point 8: numbers that cannot be kept exactly', () => {
    const jelouRaw = (body: string) =>
      call(srv.url, 'POST', '/v1/widget/user', { headers: { authorization: widget, 'content-type': 'application/json' }, body });

    it('refuses a Jelou legalId of 1e309 or 18446744073709551616 (400) instead of storing "Infinity" or "18446744073709552000"', async () => {
      for (const [id, legalId] of [
        ['n-inf', '1e309'],
        ['n-big', '18446744073709551616'],
        ['n-neg', '-1e309'],
        ['n-lower', '9007199254740993'],
      ] as const) {
        const r = await jelouRaw(`{"user":{"id":"${id}","names":"N","legalId":${legalId}}}`);
        assert.equal(r.status, 400, `${legalId}: ${r.text}`);
        assert.equal(r.body.statusMessage, 'failure');
        assert.equal(r.body.error.key, legalId.includes('e309') ? 'INVALID_NUMBER' : 'VALIDATION_FAILED');
        assert.ok('user.legalId' in r.body.validationError, r.text);
      }
      const rows = await srv.db.kysely.selectFrom('widget_users').select('legal_id').where('reference_id', 'like', 'n-%').execute();
      assert.deepEqual(rows, []);
      const safe = await jelouRaw('{"user":{"id":"n-safe","names":"N","legalId":9007199254740991}}');
      assert.equal(safe.status, 200, safe.text);
      assert.equal(safe.body.data.User.legalId, '9007199254740991');
    });

    it('refuses non-finite and inexact whole numbers in Chatwoot custom_attributes (422) instead of storing null or another number', async () => {
      const r = await cwRaw('POST', '/accounts', '{"name":"Numbers","custom_attributes":{"score":1e309}}');
      assert.equal(r.status, 422, r.text);
      assert.deepEqual(r.body.attributes, ['custom_attributes']);
      assert.equal(r.body.message, 'Custom attributes score is not a finite number');
      const big = await cwRaw('POST', '/accounts', '{"name":"Numbers","custom_attributes":{"id":18446744073709551616}}');
      assert.equal(big.status, 422, big.text);
      assert.deepEqual(big.body, {
        message: 'Custom attributes holds a number that cannot be kept exactly (whole numbers at most 9007199254740991)',
        attributes: ['custom_attributes'],
      });
      const user = await cwRaw('POST', '/users', `{"name":"N","email":"${uniqueEmail('num')}","custom_attributes":{"big":[1, 2e308]}}`);
      assert.equal(user.status, 422, user.text);
      const fine = await cwRaw('POST', '/accounts', '{"name":"Numbers","custom_attributes":{"score":0.1,"n":-42,"e":1.5e-10}}');
      assert.equal(fine.status, 200, fine.text);
      assert.deepEqual(fine.body.custom_attributes, { score: 0.1, n: -42, e: 1.5e-10 });
    });

    it('refuses non-finite numbers in Plazbot too (400)', async () => {
      const r = await call(srv.url, 'POST', '/api/user', {
        headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
        body: '{"name":"A","lastName":"B","email":"num@example.com","password":"Secure-Passphrase-123!","company":"acme","defaultStartWeek":1e400}',
      });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.errorCode, 'INVALID_NUMBER');
      assert.equal(r.body.errors[0].field, 'defaultStartWeek');
    });
  });
});
