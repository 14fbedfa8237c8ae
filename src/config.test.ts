import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has defaults that run with no setup', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.databaseUrl, 'sqlite:./data/roster.db');
    assert.equal(c.publicUrl, 'http://127.0.0.1:3000');
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
  ];
  for (const [env, re] of bad) {
    it(`names the variable in the error for ${JSON.stringify(env)}`, () => {
      assert.throws(() => loadConfig(env), (e: unknown) => e instanceof ConfigError && re.test(e.message));
    });
  }
  it('never echoes a database password', () => {
    assert.throws(
      () => loadConfig({ DATABASE_URL: 'mysql://u:hunter2@h/db' }),
      (e: unknown) => e instanceof ConfigError && !e.message.includes('hunter2'),
    );
  });
});
