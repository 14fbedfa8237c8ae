/**
 * Rate-limit counters across nodes: with REDIS_URL every node counts in one place; without Redis
 * reachable a node still starts, serves and stays ready (counting per node).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { REDIS, SKIP_REDIS } from '../fixtures/databases.js';
import { call } from '../fixtures/http.js';
import { startTestServer } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';

describe('rate-limit counters in Redis, shared by two servers', { skip: SKIP_REDIS }, () => {
  it('counts a key once across both nodes, and reports Redis on /readyz', async () => {
    const env = { REDIS_URL: REDIS!, REDIS_KEY_PREFIX: `roster-test:${randomBytes(6).toString('hex')}:` };
    const a = await startTestServer('sqlite', env);
    const b = await startTestServer('sqlite', env);
    try {
      await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).counters.increment('login:ana@example.com', 60_000)));
      assert.equal((await a.counters.get('login:ana@example.com')).count, 10);
      assert.equal((await b.counters.get('login:ana@example.com')).count, 10);
      await a.counters.reset('login:ana@example.com');
      assert.equal((await b.counters.get('login:ana@example.com')).count, 0);
      const ready = await call(a.url, 'GET', '/readyz');
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.body, { status: 'ready', database: 'ok', redis: 'ok' });
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

describe('a node whose Redis is unreachable', () => {
  it('starts, serves, stays ready (Redis reported unavailable) and counts in memory', async () => {
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => probe.once('listening', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const srv = await startTestServer('sqlite', { REDIS_URL: `redis://:hunter2@127.0.0.1:${port}` });
    try {
      await servicesOf(srv.db).companies.create({ code: 'acme', name: 'Acme' });
      const c = await servicesOf(srv.db).credentials.createWidgetClient({ companyCode: 'acme' });
      const r = await call(srv.url, 'POST', '/v1/widget/user', {
        headers: { authorization: `${c.clientId}:${c.clientSecret}` },
        json: { user: { id: 'u', names: 'U' } },
      });
      assert.equal(r.status, 200);
      const ready = await call(srv.url, 'GET', '/readyz');
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.body, { status: 'ready', database: 'ok', redis: 'unavailable' });
      assert.equal((await call(srv.url, 'GET', '/healthz')).status, 200);
      assert.equal((await srv.counters.increment('k', 60_000)).count, 1);
      assert.equal((await srv.counters.increment('k', 60_000)).count, 2);
    } finally {
      await srv.stop();
    }
  });
});
