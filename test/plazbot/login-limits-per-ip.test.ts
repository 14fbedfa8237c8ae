/** Plazbot failed-login limit per client IP, one request at a time and concurrently. */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { MemoryCounterStore } from '../../src/infra/counters.js';
import { forEachStore, type StoreKind } from '../fixtures/databases.js';
import { withApp, type TestApp } from '../fixtures/server.js';
import { assertError, PASSWORD } from './helpers.js';
import { servicesOf } from '../fixtures/services.js';

/** An app allowing 3 failed logins per client IP a minute (and 100 per email), with one user. */
function withIpLimitedApp(kind: StoreKind, email: string): TestApp {
  const srv = withApp(kind, { LOGIN_MAX_FAILURES: '100', LOGIN_MAX_FAILURES_PER_IP: '3', LOGIN_WINDOW_SECONDS: '60' });
  before(async () => {
    await servicesOf(srv.db).companies.create({ code: 'acme', name: 'Acme' });
    const t = await servicesOf(srv.db).credentials.createToken('api_token', { companyCode: 'acme' });
    const r = await srv.call('POST', '/api/user', {
      headers: { authorization: `Bearer ${t.token}` },
      json: { name: 'A', lastName: 'B', email, password: PASSWORD, company: 'acme' },
    });
    assert.equal(r.status, 200, r.text);
  });
  return srv;
}

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
