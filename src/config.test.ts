import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has defaults that run with no setup', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.databaseUrl, 'sqlite:./data/roster.db');
    assert.equal(c.publicUrl, 'http://127.0.0.1:3000');
    assert.equal(c.frontendUrl, 'http://127.0.0.1:3000');
  });
  it('takes FRONTEND_URL, defaulting to PUBLIC_URL, without a trailing slash', () => {
    assert.equal(loadConfig({ PUBLIC_URL: 'https://roster.example.com/' }).frontendUrl, 'https://roster.example.com');
    assert.equal(loadConfig({ FRONTEND_URL: 'https://app.example.com/chat/' }).frontendUrl, 'https://app.example.com/chat');
  });
  it('reads TRUST_PROXY as off, a hop count, or proxy addresses', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: '1' }).trustProxy, 1);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1' }).trustProxy, ['10.0.0.0/8', '127.0.0.1', '::1']);
    assert.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
    assert.throws(() => loadConfig({ TRUST_PROXY: 'lb.internal' }), /TRUST_PROXY/);
  });

  it('has shutdown and HTTP timeouts and a connection cap, each configurable (issue 9, points 4 and 5)', () => {
    const d = loadConfig({});
    assert.equal(d.shutdownTimeoutMs, 10_000);
    assert.deepEqual(d.http, { requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, maxConnectionsPerIp: 100 });
    const c = loadConfig({ SHUTDOWN_TIMEOUT_MS: '2000', HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_MAX_CONNECTIONS_PER_IP: '0' });
    assert.equal(c.shutdownTimeoutMs, 2000);
    assert.deepEqual(c.http, { requestTimeoutMs: 5000, headersTimeoutMs: 1000, maxConnectionsPerIp: 0 });
    assert.equal(loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '500' }).http.headersTimeoutMs, 500, 'headers time out no later than the request');
    assert.throws(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_HEADERS_TIMEOUT_MS: '2000' }), /HTTP_HEADERS_TIMEOUT_MS/);
    assert.throws(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: 'soon' }), /SHUTDOWN_TIMEOUT_MS/);
  });

  it('limits failed API-credential checks by default, configurably (issue 9, point 10)', () => {
    assert.deepEqual(loadConfig({}).credentialLimits, { enabled: true, maxFailuresPerIp: 20, maxFailuresPerCredential: 100, windowSeconds: 300 });
    const c = loadConfig({
      CREDENTIAL_LIMITS: 'off',
      CREDENTIAL_MAX_FAILURES_PER_IP: '3',
      CREDENTIAL_MAX_FAILURES_PER_ID: '7',
      CREDENTIAL_WINDOW_SECONDS: '60',
    });
    assert.deepEqual(c.credentialLimits, { enabled: false, maxFailuresPerIp: 3, maxFailuresPerCredential: 7, windowSeconds: 60 });
    assert.throws(() => loadConfig({ CREDENTIAL_MAX_FAILURES_PER_IP: '0' }), /CREDENTIAL_MAX_FAILURES_PER_IP/);
  });

  it('runs one password worker thread per core by default, configurably (issue 15)', () => {
    assert.equal(loadConfig({}).passwordHashConcurrency, availableParallelism());
    assert.equal(loadConfig({ PASSWORD_HASH_CONCURRENCY: '3' }).passwordHashConcurrency, 3);
    assert.throws(() => loadConfig({ PASSWORD_HASH_CONCURRENCY: '0' }), /PASSWORD_HASH_CONCURRENCY/);
  });

  it('lets flags override the environment', () => {
    const c = loadConfig({ PORT: '4000', HOST: '0.0.0.0' }, { port: 5000 });
    assert.equal(c.port, 5000);
    assert.equal(c.host, '0.0.0.0');
  });
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'abc' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ TRUST_PROXY: 'maybe' }, /TRUST_PROXY/],
    [{ PUBLIC_URL: 'ftp://x' }, /PUBLIC_URL/],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, /REDIS_URL/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL/],
    [{ DATABASE_POOL_SIZE: '0' }, /DATABASE_POOL_SIZE/],
    [{ DATABASE_STATEMENT_TIMEOUT_MS: '-1' }, /DATABASE_STATEMENT_TIMEOUT_MS/],
    [{ DATABASE_CONNECT_TIMEOUT_MS: '5' }, /DATABASE_CONNECT_TIMEOUT_MS/],
    [{ FRONTEND_URL: 'javascript:alert(1)' }, /FRONTEND_URL/],
    [{ FRONTEND_URL: 'app.example.com' }, /FRONTEND_URL/],
    [{ FRONTEND_URL: 'https://app.example.com/?x=1' }, /FRONTEND_URL/],
    [{ FRONTEND_URL: 'https://u:p@app.example.com' }, /FRONTEND_URL/],
    [{ SMTP_URL: 'http://mail.example.com' }, /SMTP_URL/],
    [{ SMTP_URL: 'not a url' }, /SMTP_URL/],
    [{ MAIL_FROM: 'nobody' }, /MAIL_FROM/],
    [{ MAIL_FROM: 'a@b.co\r\nBcc: x@y.z' }, /MAIL_FROM/],
    [{ LOGIN_MAX_FAILURES: '0' }, /LOGIN_MAX_FAILURES/],
    [{ LOGIN_MAX_FAILURES_PER_IP: '-1' }, /LOGIN_MAX_FAILURES_PER_IP/],
    [{ LOGIN_WINDOW_SECONDS: '1.5' }, /LOGIN_WINDOW_SECONDS/],
    [{ SESSION_TTL_SECONDS: '5' }, /SESSION_TTL_SECONDS/],
    [{ MAIL_MAX_ATTEMPTS: '0' }, /MAIL_MAX_ATTEMPTS/],
    [{ MAIL_RETRY_BASE_MS: '5000', MAIL_RETRY_MAX_MS: '1000' }, /MAIL_RETRY_MAX_MS/],
    [{ OUTBOX_POLL_MS: 'often' }, /OUTBOX_POLL_MS/],
  ];
  for (const [env, re] of bad) {
    it(`names the variable in the error for ${JSON.stringify(env)}`, () => {
      assert.throws(
        () => loadConfig(env),
        (e: unknown) => e instanceof ConfigError && re.test(e.message),
      );
    });
  }
  it('reads the database pool, timeouts and Redis', () => {
    const c = loadConfig({
      DATABASE_POOL_SIZE: '3',
      DATABASE_STATEMENT_TIMEOUT_MS: '250',
      DATABASE_CONNECT_TIMEOUT_MS: '700',
      REDIS_URL: 'redis://127.0.0.1:6379/2',
      REDIS_KEY_PREFIX: 'x:',
    });
    assert.equal(c.dbPoolSize, 3);
    assert.equal(c.dbStatementTimeoutMs, 250);
    assert.equal(c.dbConnectTimeoutMs, 700);
    assert.equal(c.redisUrl, 'redis://127.0.0.1:6379/2');
    assert.equal(c.redisKeyPrefix, 'x:');
    assert.equal(loadConfig({}).redisUrl, undefined);
  });
  it('never echoes a Redis password', () => {
    assert.throws(
      () => loadConfig({ REDIS_URL: 'http://:hunter2@h:6379' }),
      (e: unknown) => e instanceof ConfigError && !e.message.includes('hunter2'),
    );
  });
  it('never echoes a password in FRONTEND_URL', () => {
    assert.throws(
      () => loadConfig({ FRONTEND_URL: 'https://u:hunter2@app.example.com' }),
      (e: unknown) => e instanceof ConfigError && /FRONTEND_URL/.test(e.message) && !e.message.includes('hunter2'),
    );
  });
  it('has login, session and mail defaults', () => {
    const c = loadConfig({});
    assert.deepEqual(c.auth, { sessionTtlSeconds: 3600, loginMaxFailures: 5, loginMaxFailuresPerIp: 20, loginWindowSeconds: 60 });
    assert.equal(c.mail.smtpUrl, undefined);
    assert.equal(c.mail.from, 'roster <no-reply@127.0.0.1>');
    assert.equal(c.mail.maxAttempts, 10);
  });
  it('reads the mail and login settings', () => {
    const c = loadConfig({
      SMTP_URL: 'smtp://u:p@127.0.0.1:2525',
      MAIL_FROM: 'Wabotify <no-reply@wabotify.example>',
      LOGIN_MAX_FAILURES: '3',
      LOGIN_WINDOW_SECONDS: '120',
      MAIL_RETRY_BASE_MS: '100',
    });
    assert.equal(c.mail.smtpUrl, 'smtp://u:p@127.0.0.1:2525');
    assert.equal(c.mail.from, 'Wabotify <no-reply@wabotify.example>');
    assert.equal(c.auth.loginMaxFailures, 3);
    assert.equal(c.auth.loginWindowSeconds, 120);
    assert.equal(c.mail.retryBaseMs, 100);
    assert.equal(loadConfig({ PUBLIC_URL: 'https://roster.example.com/' }).mail.from, 'roster <no-reply@roster.example.com>');
  });
  it('keeps the SMTP timeouts within half the outbox lease, so a claim cannot lapse mid-send', () => {
    assert.equal(loadConfig({}).mail.smtpTimeoutMs, 30_000);
    assert.equal(loadConfig({ OUTBOX_LEASE_MS: '1000' }).mail.smtpTimeoutMs, 500);
    assert.equal(loadConfig({ OUTBOX_LEASE_MS: '20000' }).mail.smtpTimeoutMs, 10_000);
    assert.equal(loadConfig({ OUTBOX_LEASE_MS: '20000', SMTP_TIMEOUT_MS: '4000' }).mail.smtpTimeoutMs, 4000);
    assert.throws(
      () => loadConfig({ OUTBOX_LEASE_MS: '20000', SMTP_TIMEOUT_MS: '15000' }),
      (e: unknown) => e instanceof ConfigError && /SMTP_TIMEOUT_MS/.test(e.message) && /OUTBOX_LEASE_MS/.test(e.message),
    );
  });
  it('never echoes an SMTP password', () => {
    assert.throws(
      () => loadConfig({ SMTP_URL: 'http://u:hunter2@mail.example.com' }),
      (e: unknown) => e instanceof ConfigError && !e.message.includes('hunter2'),
    );
  });
  it('never echoes a database password', () => {
    assert.throws(
      () => loadConfig({ DATABASE_URL: 'mysql://u:hunter2@h/db' }),
      (e: unknown) => e instanceof ConfigError && !e.message.includes('hunter2'),
    );
  });
});
