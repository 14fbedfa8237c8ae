/** Shared by the Plazbot end-to-end tests: the tenants, a client for /api/user, the error envelope, the secrets scan. */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { Reply } from '../fixtures/http.js';
import type { TestApp } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const PASSWORD = 'Secure-Passphrase-123!';

/** The suites' limits: 3 failed logins per email, and per IP enough not to get in the way. */
export const PLAZBOT_ENV = { CREDENTIAL_CACHE_TTL_MS: '0', LOGIN_MAX_FAILURES: '3', LOGIN_MAX_FAILURES_PER_IP: '1000' };

/** The same, for the real server mailing through a test SMTP server at `smtpUrl`. */
export const mailingEnv = (smtpUrl: string) => ({
  ...PLAZBOT_ENV,
  SMTP_URL: smtpUrl,
  MAIL_FROM: 'Roster Test <no-reply@roster.test>',
  OUTBOX_POLL_MS: '50',
});

/** Every error answer: the envelope of the issue, with the HTTP status in `code`. */
export function assertError(r: Reply, status: number, errorCode?: string) {
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

export interface Tenants {
  /** API tokens, live from the first before() hook on. */
  tokens: {
    /** Of the company "wabotify" (users created verified). */
    readonly wabotify: string;
    /** Of the company "plazbot" (email verification required). */
    readonly plazbot: string;
  };
  /** Every secret the tests see, to scan the database for at the end. */
  secrets: Set<string>;
  /** POST /api/user with this token (undefined: no Authorization header). */
  create: (token: string | undefined, json: unknown, headers?: Record<string, string>) => Promise<Reply>;
  /** A valid sign-up body for wabotify, with this email. */
  body: (email: string, extra?: Record<string, unknown>) => Record<string, unknown>;
  loginAs: (email: string, password: string) => Promise<Reply>;
  /** GET /api/user/me with this session token. */
  me: (token: string) => Promise<Reply>;
  userRow: (email: string) => ReturnType<typeof findUser>;
}

const findUser = (srv: TestApp, email: string) => srv.db.kysely.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();

/**
 * The three companies of the Plazbot suites (wabotify; plazbot, which requires email verification;
 * globex, with no token) and the API tokens of the first two, created by a before() hook in the
 * enclosing describe; and the calls the tests make.
 */
export function withTenants(srv: TestApp): Tenants {
  let wabotify: string | undefined;
  let plazbot: string | undefined;
  const secrets = new Set<string>([PASSWORD]);
  before(async () => {
    await servicesOf(srv.db).companies.create({ code: 'wabotify', name: 'Wabotify' });
    await servicesOf(srv.db).companies.create({ code: 'plazbot', name: 'Plazbot', requireEmailVerification: true });
    await servicesOf(srv.db).companies.create({ code: 'globex', name: 'Globex' });
    wabotify = (await servicesOf(srv.db).credentials.createToken('api_token', { companyCode: 'wabotify' })).token;
    plazbot = (await servicesOf(srv.db).credentials.createToken('api_token', { companyCode: 'plazbot' })).token;
    secrets.add(wabotify.split('.')[1]!).add(plazbot.split('.')[1]!);
  });
  const live = (token: string | undefined) => {
    if (token === undefined) throw new Error('the Plazbot tenants are used before their before() hook ran');
    return token;
  };
  return {
    tokens: {
      get wabotify() {
        return live(wabotify);
      },
      get plazbot() {
        return live(plazbot);
      },
    },
    secrets,
    create: (token, json, headers = {}) => srv.call('POST', '/api/user', { headers: { ...(token && { authorization: `Bearer ${token}` }), ...headers }, json }),
    body: (email, extra = {}) => ({
      name: 'Juan',
      lastName: 'Pérez',
      email,
      password: PASSWORD,
      company: 'wabotify',
      ...extra,
    }),
    loginAs: (email, password) => srv.call('POST', '/api/user/login', { json: { email, password } }),
    me: (token) => srv.call('GET', '/api/user/me', { headers: { authorization: `Bearer ${token}` } }),
    userRow: (email) => findUser(srv, email),
  };
}

/**
 * The last test of a suite: no secret it saw (passwords, tokens, links, codes) is stored in
 * plaintext. `atLeast`: how many secrets the suite collects, so that the scan is never vacuous.
 */
export function itKeepsNoPlaintextSecret(srv: TestApp, secrets: Set<string>, atLeast: number): void {
  it('keeps no plaintext password, token or code in the database', async () => {
    const tables = ['companies', 'credentials', 'users', 'sessions', 'email_tokens', 'outbox'] as const;
    let dump = '';
    for (const t of tables) dump += JSON.stringify(await srv.db.kysely.selectFrom(t).selectAll().execute());
    assert.ok(dump.includes('argon2id'), 'the scan sees the users table');
    assert.ok(secrets.size >= atLeast, `${secrets.size} secrets seen, ${atLeast} expected`);
    for (const s of secrets) assert.ok(!dump.includes(s), `a secret (${s.slice(0, 6)}...) is stored in plaintext`);
  });
}
