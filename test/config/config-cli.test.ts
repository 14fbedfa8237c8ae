/**
 * Issue 11: `roster config [--json]` prints the effective configuration with every secret masked:
 * the installation key (current and previous), and the passwords in DATABASE_URL, REDIS_URL and
 * SMTP_URL never print; the rest does, as roster reads it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { runCli } from '../fixtures/cli.js';

describe('roster config', () => {
  const key = randomBytes(32).toString('base64');
  const previous = randomBytes(32).toString('hex');
  const secrets = {
    db: 'Db-Pass-' + randomBytes(6).toString('hex'),
    redis: 'Redis-Pass-' + randomBytes(6).toString('hex'),
    smtp: 'Smtp-Pass-' + randomBytes(6).toString('hex'),
  };
  const env = {
    DATABASE_URL: `postgres://roster:${secrets.db}@db.internal:5432/roster`,
    REDIS_URL: `redis://:${secrets.redis}@cache.internal:6379/0`,
    SMTP_URL: `smtps://mailer:${secrets.smtp}@smtp.example.com:465`,
    ROSTER_SECRET_KEY: key,
    ROSTER_SECRET_KEY_PREVIOUS: previous,
    PORT: '4100',
    WEBHOOK_MAX_ATTEMPTS: '7',
  };
  const leaked = (text: string) => [key, previous, ...Object.values(secrets)].filter((s) => text.includes(s));

  it('--json: the settings as read, secrets masked', async () => {
    const r = await runCli(['config', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(leaked(r.stdout + r.stderr), []);
    const c = JSON.parse(r.stdout);
    assert.equal(c.port, 4100);
    assert.equal(c.webhooks.maxAttempts, 7);
    assert.equal(c.databaseUrl, 'postgres://roster:***@db.internal:5432/roster');
    assert.equal(c.redisUrl, 'redis://:***@cache.internal:6379/0');
    assert.equal(c.mail.smtpUrl, 'smtps://mailer:***@smtp.example.com:465');
    assert.equal(c.secretKey, '***');
    assert.deepEqual(c.previousSecretKeys, ['***']);
  });

  it('for people: one line per setting, secrets masked', async () => {
    const r = await runCli(['config'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(leaked(r.stdout + r.stderr), []);
    assert.match(r.stdout, /^port = 4100$/m);
    assert.match(r.stdout, /^databaseUrl = "postgres:\/\/roster:\*\*\*@db\.internal:5432\/roster"$/m);
    assert.match(r.stdout, /^secretKey = "\*\*\*"$/m);
    assert.match(r.stdout, /^webhooks\.maxAttempts = 7$/m);
  });

  it('an unset secret says null; a bad setting is refused with a message', async () => {
    const r = await runCli(['config', '--json'], { DATABASE_URL: 'sqlite::memory:', ROSTER_SECRET_KEY: '', REDIS_URL: '', SMTP_URL: '' });
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout);
    assert.equal(c.secretKey, null);
    assert.equal(c.redisUrl, null);
    const bad = await runCli(['config'], { DATABASE_URL: 'sqlite::memory:', PORT: 'x' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /PORT must be a whole number/);
  });
});
