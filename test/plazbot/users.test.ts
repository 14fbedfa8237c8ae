import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCompany, updateCompany } from '../../src/identity/companies.js';
import { createToken, revokeCredential } from '../../src/identity/credentials.js';
import { MemoryCounterStore } from '../../src/infra/counters.js';
import { mintEmailToken } from '../../src/identity/email-tokens.js';
import type { StoreKind } from '../fixtures/databases.js';
import type { Reply } from '../fixtures/http.js';
import { resetCodeOf, startSmtp, verifyTokenOf, type TestSmtp } from '../fixtures/smtp.js';
import { forEachStore } from '../fixtures/databases.js';
import { withApp, withServer, type TestApp } from '../fixtures/server.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const PASSWORD = 'Secure-Passphrase-123!';

/** An app allowing 3 failed logins per client IP a minute (and 100 per email), with one user. */
function withIpLimitedApp(kind: StoreKind, email: string): TestApp {
  const srv = withApp(kind, { LOGIN_MAX_FAILURES: '100', LOGIN_MAX_FAILURES_PER_IP: '3', LOGIN_WINDOW_SECONDS: '60' });
  before(async () => {
    await createCompany(srv.db, { code: 'acme', name: 'Acme' });
    const t = await createToken(srv.db, 'api_token', { companyCode: 'acme' });
    const r = await srv.call('POST', '/api/user', {
      headers: { authorization: `Bearer ${t.token}` },
      json: { name: 'A', lastName: 'B', email, password: PASSWORD, company: 'acme' },
    });
    assert.equal(r.status, 200, r.text);
  });
  return srv;
}

/** Every error answer: the envelope of the issue, with the HTTP status in `code`. */
function assertError(r: Reply, status: number, errorCode?: string) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body.success, false);
  assert.equal(r.body.code, status);
  assert.equal(typeof r.body.errorCode, 'string');
  assert.match(r.body.errorCode, /^[A-Z][A-Z0-9_]*$/);
  assert.equal(typeof r.body.message, 'string');
  assert.ok(Array.isArray(r.body.errors));
  assert.deepEqual(Object.keys(r.body).sort(), ['code', 'errorCode', 'errors', 'message', 'success']);
  if (errorCode) assert.equal(r.body.errorCode, errorCode);
}

forEachStore('Plazbot /api/user', (kind) => {
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startSmtp();
  });
  // The real server: its outbox sender mails through the SMTP server above.
  const srv = withServer(kind, () => ({
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Roster Test <no-reply@roster.test>',
    OUTBOX_POLL_MS: '50',
    CREDENTIAL_CACHE_TTL_MS: '0',
    LOGIN_MAX_FAILURES: '3',
    LOGIN_MAX_FAILURES_PER_IP: '1000',
  }));
  after(() => smtp.close());
  let wabotify: string; // token of the company "wabotify" (users created verified)
  let plazbot: string; // token of the company "plazbot" (email verification required)
  /** Every secret the tests see, to scan the database for at the end. */
  const secrets = new Set<string>([PASSWORD]);

  before(async () => {
    await createCompany(srv.db, { code: 'wabotify', name: 'Wabotify' });
    await createCompany(srv.db, { code: 'plazbot', name: 'Plazbot', requireEmailVerification: true });
    await createCompany(srv.db, { code: 'globex', name: 'Globex' });
    wabotify = (await createToken(srv.db, 'api_token', { companyCode: 'wabotify' })).token;
    plazbot = (await createToken(srv.db, 'api_token', { companyCode: 'plazbot' })).token;
    secrets.add(wabotify.split('.')[1]!).add(plazbot.split('.')[1]!);
  });

  const create = (token: string | undefined, json: unknown, headers: Record<string, string> = {}) =>
    srv.call('POST', '/api/user', { headers: { ...(token && { authorization: `Bearer ${token}` }), ...headers }, json });
  const body = (email: string, extra: Record<string, unknown> = {}) => ({
    name: 'Juan',
    lastName: 'Pérez',
    email,
    password: PASSWORD,
    company: 'wabotify',
    ...extra,
  });
  const loginAs = (email: string, password: string) => srv.call('POST', '/api/user/login', { json: { email, password } });
  const me = (token: string) => srv.call('GET', '/api/user/me', { headers: { authorization: `Bearer ${token}` } });
  const userRow = (email: string) => srv.db.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();

  describe('POST /api/user', () => {
    it("creates a user from page 002's own example and answers the documented envelope", async () => {
      const r = await create(wabotify, {
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
      assert.match(row!.password_hash!, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    });

    it('trims and lower-cases the email, applies the defaults and accepts the company code in any case', async () => {
      const r = await create(wabotify, body('  Ana.Gomez@Example.COM ', { company: ' WABOTIFY ' }));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.data.email, 'ana.gomez@example.com');
      const row = await userRow('ana.gomez@example.com');
      assert.equal(row!.default_start_week, 0);
      assert.equal(row!.is_external_creation, 1);
      const ext = await create(wabotify, body('ext@example.com', { isExternalCreation: false, defaultStartWeek: 6 }));
      assert.equal(ext.status, 200);
      assert.equal((await userRow('ext@example.com'))!.is_external_creation, 0);
    });

    it('answers 409 for a taken email, whatever its case and whichever company asks', async () => {
      assert.equal((await create(wabotify, body('taken@example.com'))).status, 200);
      assertError(await create(wabotify, body(' TAKEN@example.com')), 409, 'EMAIL_TAKEN');
      const r = await create(plazbot, body('Taken@Example.com', { company: 'plazbot' }));
      assertError(r, 409, 'EMAIL_TAKEN');
      assert.deepEqual(r.body.errors, [{ field: 'email', message: 'has already been taken' }]);
    });

    it('gives exactly one 200 and 409 to all the others for 20 concurrent creates of one email', async () => {
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => create(wabotify, body(i % 2 ? 'RACE@example.com' : 'race@example.com'))));
      const statuses = replies.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, ...Array<number>(19).fill(409)]);
      for (const r of replies.filter((x) => x.status === 409)) assertError(r, 409, 'EMAIL_TAKEN');
      const rows = await srv.db.db.selectFrom('users').select('id').where('email', '=', 'race@example.com').execute();
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
        const [id] = wabotify.split('.');
        assertError(await create(`${id}.${'B'.repeat(43)}`, body('auth@example.com')), 401);
        const app = await createToken(srv.db, 'platform_app', { companyCode: 'wabotify', name: 'App' });
        assertError(await create(app.token, body('auth@example.com')), 401);
        const t = await createToken(srv.db, 'api_token', { companyCode: 'wabotify' });
        assert.equal((await create(t.token, body('revoked-1@example.com'))).status, 200);
        await revokeCredential(srv.db, 'api_token', t.id);
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
        const r = await create(wabotify, body('co1@example.com', { company: 'nope' }));
        assertError(r, 400, 'UNKNOWN_COMPANY');
        assert.deepEqual(
          r.body.errors.map((e: any) => e.field),
          ['company'],
        );
      });
      it("answers 403 for another company's code", async () => {
        assertError(await create(wabotify, body('co2@example.com', { company: 'globex' })), 403, 'COMPANY_MISMATCH');
        assertError(await create(wabotify, body('co2@example.com', { company: 'plazbot' })), 403, 'COMPANY_MISMATCH');
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
          const r = await create(wabotify, json);
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
          const r = await create(wabotify, { ...base, email: 'Bad.Person@example.com', password });
          assertError(r, 400, code);
          assert.deepEqual(
            r.body.errors.map((e: any) => e.field),
            ['password'],
          );
          assert.ok(!r.text.includes(password));
        });
      }
      it("applies the company's own password policy", async () => {
        await updateCompany(srv.db, 'globex', { passwordPolicy: { minLength: 16 } });
        const t = await createToken(srv.db, 'api_token', { companyCode: 'globex' });
        assertError(await create(t.token, body('pol@example.com', { company: 'globex', password: 'fifteen-chars-x' })), 400, 'PASSWORD_TOO_SHORT');
        assert.equal((await create(t.token, body('pol@example.com', { company: 'globex', password: 'sixteen-chars-xy' }))).status, 200);
      });
      it('answers 400 MALFORMED_JSON, 415 for other media types, 413 over 1 MiB', async () => {
        const auth = { authorization: `Bearer ${wabotify}` };
        assertError(await srv.call('POST', '/api/user', { headers: { ...auth, 'content-type': 'application/json' }, body: '{"name":' }), 400, 'MALFORMED_JSON');
        assertError(await srv.call('POST', '/api/user', { headers: { ...auth, 'content-type': 'text/plain' }, body: '{}' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
        assertError(await create(wabotify, { ...base, name: 'x'.repeat(1024 * 1024) }), 413, 'PAYLOAD_TOO_LARGE');
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

  describe('GET /api/user/email', () => {
    const byEmail = (token: string | undefined, q: string) =>
      srv.call('GET', `/api/user/email${q}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    it("finds a user of the token's company, and no one else's", async () => {
      const r = await byEmail(wabotify, '?email=%20TAKEN@example.com');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.data.user.email, 'taken@example.com');
      assert.equal(r.body.data.user.company, 'wabotify');
      assertError(await byEmail(plazbot, '?email=taken@example.com'), 404, 'USER_NOT_FOUND');
      assertError(await byEmail(wabotify, '?email=nobody@example.com'), 404, 'USER_NOT_FOUND');
    });
    it('answers 401 without a token and 400 without a valid email', async () => {
      assertError(await byEmail(undefined, '?email=taken@example.com'), 401);
      assertError(await byEmail(wabotify, ''), 400, 'VALIDATION_FAILED');
      assertError(await byEmail(wabotify, '?email=nope'), 400, 'VALIDATION_FAILED');
    });
  });

  describe('login and sessions', () => {
    before(async () => {
      assert.equal((await create(wabotify, body('login@example.com', { name: 'Lía', lastName: 'Núñez', defaultStartWeek: 1 }))).status, 200);
    });

    it('logs in, answers the token and the profile, and /me returns it', async () => {
      const r = await loginAs(' LOGIN@example.com', PASSWORD);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.success, true);
      assert.equal(r.body.code, 200);
      assert.equal(r.body.errorCode, null);
      assert.equal(r.body.message, 'Login successful');
      assert.equal(r.body.data.expiresIn, 3600);
      assert.match(r.body.data.token, /^rss_[A-Za-z0-9_-]{43}$/);
      secrets.add(r.body.data.token);
      const u = r.body.data.user;
      assert.deepEqual(
        { ...u, id: undefined, creationDate: undefined },
        {
          id: undefined,
          name: 'Lía',
          lastName: 'Núñez',
          email: 'login@example.com',
          company: 'wabotify',
          role: 'user',
          avatar: null,
          defaultStartWeek: 1,
          isExternalCreation: true,
          flagVerifiedEmail: true,
          creationDate: undefined,
        },
      );
      assert.match(u.creationDate, ISO);
      assert.equal(r.headers.get('cache-control'), 'no-store');
      const m = await me(r.body.data.token);
      assert.equal(m.status, 200, m.text);
      assert.deepEqual(m.body.data.user, u);
    });

    it('answers the same 401 to a wrong password and an unknown email, in about the same time', async () => {
      const time = async (email: string) => {
        const t0 = performance.now();
        const r = await loginAs(email, 'not-the-password');
        return { r, ms: performance.now() - t0 };
      };
      const wrong = [];
      const unknown = [];
      for (let i = 0; i < 2; i++) {
        wrong.push(await time('taken@example.com'));
        unknown.push(await time(`nobody-${i}@example.com`));
      }
      for (const { r } of [...wrong, ...unknown]) assertError(r, 401, 'INVALID_CREDENTIALS');
      assert.deepEqual(wrong[0]!.r.body, unknown[0]!.r.body);
      // Both paths run one argon2 verification; on a loaded machine only a gross gap means a leak.
      const a = Math.min(...wrong.map((x) => x.ms));
      const b = Math.min(...unknown.map((x) => x.ms));
      assert.ok(Math.abs(a - b) < 25 || Math.max(a, b) / Math.min(a, b) < 3, `wrong password ${a.toFixed(1)} ms vs unknown email ${b.toFixed(1)} ms`);
    });

    it('answers 429 with Retry-After past the failure limit per email, even to the right password', async () => {
      assert.equal((await create(wabotify, body('limited@example.com'))).status, 200);
      for (let i = 0; i < 3; i++) assertError(await loginAs('limited@example.com', `wrong-${i}`), 401);
      const blocked = await loginAs('limited@example.com', 'wrong-again');
      assertError(blocked, 429, 'TOO_MANY_LOGIN_ATTEMPTS');
      const retry = Number(blocked.headers.get('retry-after'));
      assert.ok(retry >= 1 && retry <= 60, String(retry));
      assertError(await loginAs('LIMITED@example.com', PASSWORD), 429, 'TOO_MANY_LOGIN_ATTEMPTS');
      // Another email from the same client is not held back.
      assert.equal((await loginAs('login@example.com', PASSWORD)).status, 200);
    });

    it('lets no more than the limit of concurrent wrong guesses at one email through', async () => {
      assert.equal((await create(wabotify, body('burst@example.com'))).status, 200);
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => loginAs('burst@example.com', `guess-${i}`)));
      const statuses = replies.map((r) => r.status).sort();
      assert.deepEqual(statuses, [401, 401, 401, ...Array<number>(17).fill(429)]);
      assertError(await loginAs('burst@example.com', PASSWORD), 429);
    });

    it('clears the count of an email after a correct password', async () => {
      assert.equal((await create(wabotify, body('clears@example.com'))).status, 200);
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 2; i++) assertError(await loginAs('clears@example.com', `wrong-${i}`), 401);
        assert.equal((await loginAs('clears@example.com', PASSWORD)).status, 200);
      }
    });

    it('answers 401 to /me without a valid, live session token', async () => {
      assertError(await srv.call('GET', '/api/user/me'), 401, 'INVALID_SESSION');
      assertError(await me('rss_' + 'x'.repeat(43)), 401, 'INVALID_SESSION');
      assertError(await me(wabotify), 401, 'INVALID_SESSION');
      const r = await loginAs('login@example.com', PASSWORD);
      const token = r.body.data.token as string;
      secrets.add(token);
      await srv.db.db.updateTable('sessions').set({ expires_at: '2000-01-01T00:00:00.000Z' }).execute();
      assertError(await me(token), 401, 'INVALID_SESSION');
      // A session token does not create users.
      assertError(await create(token, body('sess@example.com')), 401);
    });

    it('answers 400 for a login body of the wrong shape', async () => {
      assertError(await srv.call('POST', '/api/user/login', { json: { email: 'a@b.co' } }), 400, 'VALIDATION_FAILED');
      assertError(await srv.call('POST', '/api/user/login', { json: { email: 5, password: 'x' } }), 400);
    });
  });

  describe('email verification', () => {
    it('creates users of a company that requires it unverified, mails a link, and the link verifies once', async () => {
      const r = await create(plazbot, body('verify.me@example.com', { company: 'plazbot' }));
      assert.equal(r.status, 200, r.text);
      assert.equal((await userRow('verify.me@example.com'))!.email_verified_at, null);
      assertError(await loginAs('verify.me@example.com', PASSWORD), 403, 'EMAIL_NOT_VERIFIED');

      const mail = await smtp.waitFor((m) => m.to.includes('verify.me@example.com'));
      assert.match(mail.raw, /^From: Roster Test <no-reply@roster\.test>/m);
      const token = verifyTokenOf(mail);
      secrets.add(token);
      const link = `/api/user/verify-email?token=${token}`;
      const ok = await srv.call('GET', link);
      assert.equal(ok.status, 200);
      assert.match(ok.headers.get('content-type')!, /^text\/html/);
      assert.match(ok.text, /Email verified/);
      const again = await srv.call('GET', link);
      assert.equal(again.status, 410);
      assert.match(again.text, /already used/);

      const login = await loginAs('verify.me@example.com', PASSWORD);
      assert.equal(login.status, 200, login.text);
      assert.equal(login.body.data.user.flagVerifiedEmail, true);
      secrets.add(login.body.data.token);
    });

    it('answers 4xx pages, never 500, for unknown, malformed and expired links', async () => {
      for (const q of ['', '?token=', '?token=abc', `?token=${'A'.repeat(43)}`, '?token=%00%ff', '?token[]=x&token=y', `?token=${'x'.repeat(5000)}`]) {
        const r = await srv.call('GET', `/api/user/verify-email${q}`);
        assert.ok(r.status >= 400 && r.status < 500, `${q}: ${r.status}`);
      }
      const r = await create(plazbot, body('expired.link@example.com', { company: 'plazbot' }));
      assert.equal(r.status, 200);
      const old = await mintEmailToken(srv.db, Number(r.body.data.userId), 'verify_email', new Date(Date.now() - 25 * 3_600_000));
      secrets.add(old);
      const expired = await srv.call('GET', `/api/user/verify-email?token=${old}`);
      assert.equal(expired.status, 410);
      assert.match(expired.text, /expired/);
    });

    it('sends a new link when an unverified user with no live link logs in', async () => {
      const r = await create(plazbot, body('relink@example.com', { company: 'plazbot' }));
      assert.equal(r.status, 200);
      const first = await smtp.waitFor((m) => m.to.includes('relink@example.com'));
      await srv.db.db.updateTable('email_tokens').set({ expires_at: '2000-01-01T00:00:00.000Z' }).where('user_id', '=', Number(r.body.data.userId)).execute();
      const denied = await loginAs('relink@example.com', PASSWORD);
      assertError(denied, 403, 'EMAIL_NOT_VERIFIED');
      assert.match(denied.body.message, /new verification link/);
      const second = await smtp.waitFor((m) => m.to.includes('relink@example.com') && m !== first);
      const token = verifyTokenOf(second);
      secrets.add(verifyTokenOf(first)).add(token);
      assert.equal((await srv.call('GET', `/api/user/verify-email?token=${token}`)).status, 200);
      assert.equal((await loginAs('relink@example.com', PASSWORD)).status, 200);
    });
  });

  describe('password reset', () => {
    const NEW_PASSWORD = 'Another-Long-Passphrase-42';
    const sendReset = (json: unknown) => srv.call('POST', '/api/user/sendEmailToResetPassword', { json });
    const reset = (json: unknown) => srv.call('POST', '/api/user/resetPassword', { json });

    it('answers the same whether or not the email exists, and mails a code only when it does', async () => {
      assert.equal((await create(wabotify, body('reset.me@example.com'))).status, 200);
      const known = await sendReset({ email: 'Reset.Me@example.com', company: 'wabotify' });
      const unknown = await sendReset({ email: 'nobody.here@example.com', company: 'wabotify' });
      const otherCompany = await sendReset({ email: 'reset.me@example.com', company: 'globex' });
      for (const r of [known, unknown, otherCompany]) {
        assert.equal(r.status, 200);
        assert.deepEqual(r.body, known.body);
      }
      assert.equal(known.body.success, true);
      await smtp.waitFor((m) => m.to.includes('reset.me@example.com'));
      await new Promise((res) => setTimeout(res, 300));
      assert.ok(!smtp.mails.some((m) => m.to.includes('nobody.here@example.com')));
      assert.equal(smtp.mails.filter((m) => m.to.includes('reset.me@example.com')).length, 1, 'no mail for another company');
    });

    it('resets the password with the mailed code, once, under the policy, and ends the old sessions', async () => {
      const session = (await loginAs('reset.me@example.com', PASSWORD)).body.data.token as string;
      secrets.add(session);
      const mail = await smtp.waitFor((m) => m.to.includes('reset.me@example.com'));
      const code = resetCodeOf(mail);
      secrets.add(code).add(NEW_PASSWORD);

      assertError(await reset({ email: 'reset.me@example.com', newPassword: NEW_PASSWORD, verificationId: 'A'.repeat(43) }), 400, 'INVALID_VERIFICATION_CODE');
      assertError(await reset({ email: 'taken@example.com', newPassword: NEW_PASSWORD, verificationId: code }), 400, 'INVALID_VERIFICATION_CODE');
      const weak = await reset({ email: 'reset.me@example.com', newPassword: 'password1', verificationId: code });
      assertError(weak, 422, 'PASSWORD_TOO_COMMON');
      assert.deepEqual(
        weak.body.errors.map((e: any) => e.field),
        ['newPassword'],
      );
      assertError(await reset({ email: 'reset.me@example.com', newPassword: 5, verificationId: code }), 400, 'VALIDATION_FAILED');

      const ok = await reset({ email: ' RESET.ME@example.com', newPassword: NEW_PASSWORD, verificationId: code });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.success, true);
      assertError(
        await reset({ email: 'reset.me@example.com', newPassword: 'Yet-Another-Passphrase-7', verificationId: code }),
        400,
        'INVALID_VERIFICATION_CODE',
      );
      assertError(await me(session), 401);
      assertError(await loginAs('reset.me@example.com', PASSWORD), 401);
      const login = await loginAs('reset.me@example.com', NEW_PASSWORD);
      assert.equal(login.status, 200);
      secrets.add(login.body.data.token);
    });

    it('refuses an expired code', async () => {
      const row = await userRow('reset.me@example.com');
      const code = await mintEmailToken(srv.db, row!.id, 'reset_password', new Date(Date.now() - 2 * 3_600_000));
      secrets.add(code);
      assertError(await reset({ email: 'reset.me@example.com', newPassword: 'Fresh-Passphrase-99', verificationId: code }), 400, 'INVALID_VERIFICATION_CODE');
    });

    it('answers 400 to reset bodies of the wrong shape', async () => {
      assertError(await sendReset({}), 400, 'VALIDATION_FAILED');
      assertError(await sendReset({ email: 'not-an-email' }), 400);
      assertError(await reset({ email: 'a@b.co' }), 400);
    });
  });

  it('never answers 500 to hostile input', async () => {
    const bodies: unknown[] = [
      null,
      0,
      true,
      [],
      {},
      { email: null, password: null },
      { email: {}, password: [] },
      { email: 'a@b.co', password: 'x'.repeat(4097) },
      { email: '\u0000@\u0000', password: '\ud800' },
      { email: `${'a'.repeat(300)}@b.co`, password: 'x', newPassword: 'y', verificationId: '../../etc/passwd', company: "'; drop table users; --" },
    ];
    const paths = ['/api/user', '/api/user/login', '/api/user/sendEmailToResetPassword', '/api/user/resetPassword'];
    for (const path of paths) {
      for (const json of bodies) {
        const r = await srv.call('POST', path, { headers: { authorization: `Bearer ${wabotify}` }, json });
        assert.ok(r.status < 500, `${path} ${JSON.stringify(json)?.slice(0, 80)}: ${r.status} ${r.text}`);
      }
      for (const raw of ['{', '{"a":1}}', '\u0000', '{"email":"a@b.co","password":"x","constructor":{"prototype":{"x":1}}}']) {
        const r = await srv.call('POST', path, { headers: { authorization: `Bearer ${wabotify}`, 'content-type': 'application/json' }, body: raw });
        assert.ok(r.status < 500, `${path} ${raw}: ${r.status}`);
      }
    }
    // A NUL in the company code (PostgreSQL cannot store NUL) is an unknown company: 400, not 500.
    const nul = await srv.call('POST', '/api/user', {
      headers: { authorization: `Bearer ${wabotify}` },
      json: { name: 'N', lastName: 'L', email: 'nul.company@example.com', password: PASSWORD, company: 'wabotify\u0000' },
    });
    assert.equal(nul.status, 400, nul.text);
    assert.equal(nul.body.success, false);
    for (const auth of ['Bearer ' + 'x'.repeat(10000), 'Bearer rss_\u00e9', 'Bearer rtk_0123456789abcdef.' + '\u00e9'.repeat(43)]) {
      for (const [method, path] of [
        ['GET', '/api/user/me'],
        ['POST', '/api/user'],
      ] as const) {
        const r = await srv.call(method, path, { headers: { authorization: auth }, ...(method === 'POST' && { json: {} }) }).catch(() => undefined);
        if (r) assert.ok(r.status < 500, `${method} ${path}: ${r.status}`);
      }
    }
  });

  it('documents its routes in the OpenAPI document', async () => {
    const r = await srv.call('GET', '/openapi.json');
    assert.equal(r.status, 200);
    const create = r.body.paths['/api/user']?.post;
    assert.ok(create, Object.keys(r.body.paths).join(', '));
    assert.deepEqual(create.security, [{ bearerAuth: [] }]);
    assert.deepEqual(create.requestBody.content['application/json'].schema.required, ['name', 'lastName', 'email', 'password', 'company']);
    for (const path of ['/api/user/login', '/api/user/me', '/api/user/verify-email', '/api/user/sendEmailToResetPassword', '/api/user/resetPassword']) {
      assert.ok(r.body.paths[path], path);
    }
  });

  it('keeps no plaintext password, token or code in the database', async () => {
    const tables = ['companies', 'credentials', 'users', 'sessions', 'email_tokens', 'outbox'] as const;
    let dump = '';
    for (const t of tables) dump += JSON.stringify(await srv.db.db.selectFrom(t).selectAll().execute());
    assert.ok(dump.includes('argon2id'), 'the scan sees the users table');
    assert.ok(secrets.size > 10);
    for (const s of secrets) assert.ok(!dump.includes(s), `a secret (${s.slice(0, 6)}...) is stored in plaintext`);
  });

  it('answers 429 to a client past its password reset requests, whatever the emails', async () => {
    let last: Reply | undefined;
    for (let i = 0; i < 40 && last?.status !== 429; i++) {
      last = await srv.call('POST', '/api/user/sendEmailToResetPassword', { json: { email: `spray-${i}@example.com` } });
      assert.ok(last.status === 200 || last.status === 429, last.text);
    }
    assertError(last!, 429, 'TOO_MANY_REQUESTS');
    assert.ok(Number(last!.headers.get('retry-after')) >= 1);
  });
});

forEachStore('Plazbot login limit per client IP', (kind) => {
  const srv = withIpLimitedApp(kind, 'ip@example.com');

  it('answers 429 to every email from an IP past its failure limit, the right password included', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await srv.call('POST', '/api/user/login', { json: { email: `spray-${i}@example.com`, password: 'guess' } });
      assert.equal(r.status, 401);
    }
    const r = await srv.call('POST', '/api/user/login', { json: { email: 'ip@example.com', password: PASSWORD } });
    assertError(r, 429, 'TOO_MANY_LOGIN_ATTEMPTS');
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
  });
});

forEachStore('Plazbot login limit per client IP, concurrently', (kind) => {
  const srv = withIpLimitedApp(kind, 'office@example.com');
  const login = (email: string, password: string) => srv.call('POST', '/api/user/login', { json: { email, password } });

  it('does not count successful logins against the IP', async () => {
    for (let i = 0; i < 6; i++) assert.equal((await login('office@example.com', PASSWORD)).status, 200);
  });

  it('lets exactly the limit of concurrent wrong logins over many emails through, 429 to the rest', async () => {
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => login(`many-${i}@example.com`, 'guess')));
    const statuses = replies.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 401).length, 3, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 429).length, 37, statuses.join(','));
  });

  it('opens no new counter for the emails a blocked client tries', async () => {
    const counters = srv.counters;
    assert.ok(counters instanceof MemoryCounterStore);
    const before = counters.size;
    for (let i = 0; i < 50; i++) assertError(await login(`fresh-${i}@example.com`, 'guess'), 429, 'TOO_MANY_LOGIN_ATTEMPTS');
    assert.equal(counters.size, before);
  });
});

forEachStore('Plazbot verification mail under concurrent logins', (kind) => {
  // No SMTP: mail waits in the outbox, where the test can count it.
  const srv = withApp(kind, { LOGIN_MAX_FAILURES: '100', LOGIN_MAX_FAILURES_PER_IP: '100' });
  let token: string;
  before(async () => {
    await createCompany(srv.db, { code: 'strict', name: 'Strict', requireEmailVerification: true });
    token = (await createToken(srv.db, 'api_token', { companyCode: 'strict' })).token;
  });

  it('queues exactly one new verification mail for 20 concurrent correct logins of an unverified user', async () => {
    const r = await srv.call('POST', '/api/user', {
      headers: { authorization: `Bearer ${token}` },
      json: { name: 'A', lastName: 'B', email: 'race@example.com', password: PASSWORD, company: 'strict' },
    });
    assert.equal(r.status, 200, r.text);
    const userId = Number(r.body.data.userId);
    const waiting = () =>
      srv.db.db
        .selectFrom('outbox')
        .select('id')
        .where('user_id', '=', userId)
        .where('template', '=', 'verify_email')
        .where('status', 'in', ['pending', 'sending'])
        .execute();
    assert.equal((await waiting()).length, 1);
    // The first link went out and was lost: the next logins may queue one more, and only one.
    await srv.db.db.updateTable('outbox').set({ status: 'sent' }).where('user_id', '=', userId).execute();
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => srv.call('POST', '/api/user/login', { json: { email: 'race@example.com', password: PASSWORD } })),
    );
    for (const x of replies) assertError(x, 403, 'EMAIL_NOT_VERIFIED');
    assert.equal(replies.filter((x) => /new verification link/.test(x.body.message)).length, 1);
    assert.equal((await waiting()).length, 1);
  });
});
