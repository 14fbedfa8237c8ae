/** Plazbot sign-up: POST /api/user creates a user of the token's company (page 002). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { assertError, itKeepsNoPlaintextSecret, PASSWORD, PLAZBOT_ENV, withTenants } from './helpers.js';
import { ROSTER_HASH } from '../fixtures/passwords.js';
import { servicesOf } from '../fixtures/services.js';

forEachStore('Plazbot /api/user', (kind) => {
  const srv = withApp(kind, PLAZBOT_ENV);
  const { tokens, secrets, create, body, me, userRow } = withTenants(srv);

  describe('POST /api/user', () => {
    it("creates a user from page 002's own example and answers the documented envelope", async () => {
      const r = await create(tokens.wabotify, {
        name: 'Juan',
        lastName: 'Pérez',
        email: 'juan.perez@example.com',
        password: 'SecurePassword123!',
        company: 'wabotify',
        defaultStartWeek: 1,
        isExternalCreation: true,
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, {
        success: true,
        code: 200,
        errorCode: null,
        message: 'Usuario creado exitosamente',
        data: { userId: r.body.data.userId, email: 'juan.perez@example.com' },
      });
      assert.match(r.body.data.userId, /^\d+$/);
      const row = await userRow('juan.perez@example.com');
      assert.equal(String(row!.id), r.body.data.userId);
      assert.equal(row!.default_start_week, 1);
      assert.equal(row!.is_external_creation, 1);
      assert.equal(row!.created_via, 'plazbot');
      assert.notEqual(row!.email_verified_at, null, 'a company without the flag creates users verified');
      assert.match(row!.password_hash!, ROSTER_HASH);
    });

    it('trims and lower-cases the email, applies the defaults and accepts the company code in any case', async () => {
      const r = await create(tokens.wabotify, body('  Ana.Gomez@Example.COM ', { company: ' WABOTIFY ' }));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.data.email, 'ana.gomez@example.com');
      const row = await userRow('ana.gomez@example.com');
      assert.equal(row!.default_start_week, 0);
      assert.equal(row!.is_external_creation, 1);
      const ext = await create(tokens.wabotify, body('ext@example.com', { isExternalCreation: false, defaultStartWeek: 6 }));
      assert.equal(ext.status, 200);
      assert.equal((await userRow('ext@example.com'))!.is_external_creation, 0);
    });

    it('answers 409 for a taken email, whatever its case and whichever company asks', async () => {
      assert.equal((await create(tokens.wabotify, body('taken@example.com'))).status, 200);
      assertError(await create(tokens.wabotify, body(' TAKEN@example.com')), 409, 'EMAIL_TAKEN');
      const r = await create(tokens.plazbot, body('Taken@Example.com', { company: 'plazbot' }));
      assertError(r, 409, 'EMAIL_TAKEN');
      assert.deepEqual(r.body.errors, [{ field: 'email', message: 'has already been taken' }]);
    });

    it('answers 409 for a taken email spelled in another Unicode form, and stores the composed one', async () => {
      // "é" as one code point (NFC) and as "e" plus a combining accent (NFD) look the same.
      const nfd = 'jose\u0301.unicode@example.com';
      const created = await create(tokens.wabotify, body(nfd));
      assert.equal(created.status, 200, created.text);
      assert.equal(created.body.data.email, 'jos\u00e9.unicode@example.com');
      assertError(await create(tokens.wabotify, body('JOS\u00c9.unicode@example.com')), 409, 'EMAIL_TAKEN');
      const rows = await srv.db.kysely.selectFrom('users').select('email').where('email', 'like', 'jos%.unicode@example.com').execute();
      assert.deepEqual(rows, [{ email: 'jos\u00e9.unicode@example.com' }]);
    });

    it('gives exactly one 200 and 409 to all the others for 20 concurrent creates of one email', async () => {
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => create(tokens.wabotify, body(i % 2 ? 'RACE@example.com' : 'race@example.com'))));
      const statuses = replies.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, ...Array<number>(19).fill(409)]);
      for (const r of replies.filter((x) => x.status === 409)) assertError(r, 409, 'EMAIL_TAKEN');
      const rows = await srv.db.kysely.selectFrom('users').select('id').where('email', '=', 'race@example.com').execute();
      assert.equal(rows.length, 1);
    });

    describe('authentication', () => {
      const cases: Array<[string, Record<string, string>]> = [
        ['no Authorization header', {}],
        ['another scheme', { authorization: 'Basic YWJjOmRlZg==' }],
        ['a bare token without the scheme', { authorization: 'rtk_0123456789abcdef.xxx' }],
        ['an unknown token', { authorization: `Bearer rtk_0123456789abcdef.${'A'.repeat(43)}` }],
        ['garbage', { authorization: 'Bearer !!!' }],
        ['an empty bearer', { authorization: 'Bearer ' }],
      ];
      for (const [name, headers] of cases) {
        it(`answers 401 for ${name}`, async () => {
          assertError(await create(undefined, body('auth@example.com'), headers), 401, 'UNAUTHORIZED');
        });
      }
      it('answers 401 for a right token id with a wrong secret, a platform-app token, a revoked token', async () => {
        const [id] = tokens.wabotify.split('.');
        assertError(await create(`${id}.${'B'.repeat(43)}`, body('auth@example.com')), 401);
        const app = await servicesOf(srv.db).credentials.createToken('platform_app', { companyCode: 'wabotify', name: 'App' });
        assertError(await create(app.token, body('auth@example.com')), 401);
        const t = await servicesOf(srv.db).credentials.createToken('api_token', { companyCode: 'wabotify' });
        assert.equal((await create(t.token, body('revoked-1@example.com'))).status, 200);
        await servicesOf(srv.db).credentials.revoke('api_token', t.id);
        assertError(await create(t.token, body('revoked-2@example.com')), 401);
        assert.equal(await userRow('auth@example.com'), undefined);
      });
      it('names the Bearer scheme in WWW-Authenticate', async () => {
        const r = await create(undefined, body('auth@example.com'));
        assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="roster"');
        assert.equal((await me('nope')).headers.get('www-authenticate'), 'Bearer realm="roster"');
      });
      it('checks the token before the body', async () => {
        assertError(await create(undefined, { name: 5 }), 401);
      });
    });

    describe('company', () => {
      it('answers 400 naming company for an unknown code', async () => {
        const r = await create(tokens.wabotify, body('co1@example.com', { company: 'nope' }));
        assertError(r, 400, 'UNKNOWN_COMPANY');
        assert.deepEqual(
          r.body.errors.map((e: any) => e.field),
          ['company'],
        );
      });
      it("answers 403 for another company's code", async () => {
        assertError(await create(tokens.wabotify, body('co2@example.com', { company: 'globex' })), 403, 'COMPANY_MISMATCH');
        assertError(await create(tokens.wabotify, body('co2@example.com', { company: 'plazbot' })), 403, 'COMPANY_MISMATCH');
        assert.equal(await userRow('co2@example.com'), undefined);
      });
    });

    describe('bad input', () => {
      const base = body('bad@example.com');
      const without = (k: string) => Object.fromEntries(Object.entries(base).filter(([key]) => key !== k));
      const cases: Array<[string, unknown, string, string?]> = [
        ['no name', without('name'), 'name'],
        ['no lastName', without('lastName'), 'lastName'],
        ['no email', without('email'), 'email'],
        ['no password', without('password'), 'password'],
        ['no company', without('company'), 'company'],
        ['a numeric name', { ...base, name: 42 }, 'name'],
        ['a null lastName', { ...base, lastName: null }, 'lastName'],
        ['an array email', { ...base, email: ['a@b.co'] }, 'email'],
        ['a numeric password', { ...base, password: 12345678 }, 'password'],
        ['an object company', { ...base, company: { code: 'wabotify' } }, 'company'],
        ['defaultStartWeek as a string', { ...base, defaultStartWeek: '1' }, 'defaultStartWeek'],
        ['defaultStartWeek 7', { ...base, defaultStartWeek: 7 }, 'defaultStartWeek'],
        ['defaultStartWeek -1', { ...base, defaultStartWeek: -1 }, 'defaultStartWeek'],
        ['defaultStartWeek 1.5', { ...base, defaultStartWeek: 1.5 }, 'defaultStartWeek'],
        ['isExternalCreation as a string', { ...base, isExternalCreation: 'true' }, 'isExternalCreation'],
        ['isExternalCreation as 1', { ...base, isExternalCreation: 1 }, 'isExternalCreation'],
        ['an empty name', { ...base, name: '   ' }, 'name'],
        ['a name with control characters', { ...base, name: 'Ju\u0000an' }, 'name'],
        ['a name over 100 characters', { ...base, name: 'x'.repeat(101) }, 'name'],
        ['an email without @', { ...base, email: 'juan.example.com' }, 'email'],
        ['an email with spaces', { ...base, email: 'ju an@example.com' }, 'email'],
        ['an email without a domain dot', { ...base, email: 'juan@localhost' }, 'email'],
        ['an array body', [base], '(body)'],
        ['a string body', 'hello', '(body)'],
      ];
      for (const [name, json, field] of cases) {
        it(`answers 400 naming ${field} for ${name}, and writes nothing`, async () => {
          const r = await create(tokens.wabotify, json);
          assertError(r, 400);
          assert.ok(
            r.body.errors.some((e: any) => e.field === field),
            JSON.stringify(r.body.errors),
          );
          assert.ok(!r.text.includes(PASSWORD), 'the password never appears in a response');
        });
      }
      const weak: Array<[string, string, string]> = [
        ['too short', 'Ab1!xyz', 'PASSWORD_TOO_SHORT'],
        ['too long', 'x'.repeat(129), 'PASSWORD_TOO_LONG'],
        ['too common', 'Password123', 'PASSWORD_TOO_COMMON'],
        ['containing the email local part', 'my-bad.person-secret', 'PASSWORD_CONTAINS_EMAIL'],
      ];
      for (const [name, password, code] of weak) {
        it(`answers 400 ${code} for a password ${name}`, async () => {
          const r = await create(tokens.wabotify, { ...base, email: 'Bad.Person@example.com', password });
          assertError(r, 400, code);
          assert.deepEqual(
            r.body.errors.map((e: any) => e.field),
            ['password'],
          );
          assert.ok(!r.text.includes(password));
        });
      }
      it("applies the company's own password policy", async () => {
        await servicesOf(srv.db).companies.update('globex', { passwordPolicy: { minLength: 16 } });
        const t = await servicesOf(srv.db).credentials.createToken('api_token', { companyCode: 'globex' });
        assertError(await create(t.token, body('pol@example.com', { company: 'globex', password: 'fifteen-chars-x' })), 400, 'PASSWORD_TOO_SHORT');
        assert.equal((await create(t.token, body('pol@example.com', { company: 'globex', password: 'sixteen-chars-xy' }))).status, 200);
      });
      it('answers 400 MALFORMED_JSON, 415 for other media types, 413 over 1 MiB', async () => {
        const auth = { authorization: `Bearer ${tokens.wabotify}` };
        assertError(await srv.call('POST', '/api/user', { headers: { ...auth, 'content-type': 'application/json' }, body: '{"name":' }), 400, 'MALFORMED_JSON');
        assertError(await srv.call('POST', '/api/user', { headers: { ...auth, 'content-type': 'text/plain' }, body: '{}' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
        assertError(await create(tokens.wabotify, { ...base, name: 'x'.repeat(1024 * 1024) }), 413, 'PAYLOAD_TOO_LARGE');
        assertError(
          await srv.call('POST', '/api/user', { headers: { ...auth, 'content-type': 'application/json' }, body: '{"name":"a","__proto__":{"x":1}}' }),
          400,
        );
      });
      it('answers 404 in the envelope for an unknown route under /api', async () => {
        assertError(await srv.call('GET', '/api/users'), 404, 'ROUTE_NOT_FOUND');
        assertError(await srv.call('DELETE', '/api/user'), 404);
      });
      it('wrote nothing for any rejected request', async () => {
        assert.equal(await userRow('bad@example.com'), undefined);
        assert.equal(await userRow('bad.person@example.com'), undefined);
      });
    });
  });

  itKeepsNoPlaintextSecret(srv, secrets, 3);
});
