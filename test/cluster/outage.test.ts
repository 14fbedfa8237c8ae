/**
 * The database going away is not a crash. A TCP proxy inside the test stands between roster and
 * PostgreSQL and cuts, refuses or silently drops the connections, then restores them: requests
 * answer 503 in the API's own error format with Retry-After, never hang, /readyz says not ready,
 * /healthz stays up, and roster recovers by itself. Skipped without DATABASE_URL_TEST.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDb } from '../../src/store/db.js';
import { isUnavailable } from '../../src/store/errors.js';
import { eventually, startCluster, TcpProxy, type Cluster } from '../fixtures/cluster.js';
import { createTestDatabase, SKIP_POSTGRES, type TestDatabase } from '../fixtures/databases.js';
import { call, type Reply } from '../fixtures/http.js';
import { servicesOf } from '../fixtures/services.js';

/** Turns a hang into a failure that says so (the server must answer within its own timeouts). */
const ANSWER_WITHIN_MS = 20_000;
/** Each node's PostgreSQL pool. */
const POOL_SIZE = 3;

describe('PostgreSQL going away under running nodes', { skip: SKIP_POSTGRES }, () => {
  let proxy: TcpProxy;
  let cluster: Cluster;
  let auth: string;
  let n = 0;

  before(async () => {
    const admin = process.env.DATABASE_URL_TEST!;
    proxy = TcpProxy.forUrl(admin);
    await proxy.listen();
    cluster = await startCluster({
      inProcess: 1,
      processes: 1,
      nodeDatabaseUrl: (d) => proxy.urlThrough(d.url),
      // Every request reaches the database (no credential cache), with short timeouts.
      env: { CREDENTIAL_CACHE_TTL_MS: '0', DATABASE_CONNECT_TIMEOUT_MS: '1000', DATABASE_STATEMENT_TIMEOUT_MS: '1000', DATABASE_POOL_SIZE: String(POOL_SIZE) },
    });
    await servicesOf(cluster.db).companies.create({ code: 'acme', name: 'Acme' });
    const c = await servicesOf(cluster.db).credentials.createWidgetClient({ companyCode: 'acme' });
    auth = `${c.clientId}:${c.clientSecret}`;
  });
  after(async () => {
    await proxy?.restore();
    await cluster?.stop();
    await proxy?.close();
  });

  const post = (url: string, id = `u-${n++}`): Promise<Reply> =>
    Promise.race([
      call(url, 'POST', '/v1/widget/user', { headers: { authorization: auth }, json: { user: { id, names: 'N' } } }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer from ${url} within ${ANSWER_WITHIN_MS} ms`)), ANSWER_WITHIN_MS).unref()),
    ]);

  function assertJelou503(r: Reply, where: string) {
    assert.equal(r.status, 503, `${where}: ${r.text}`);
    assert.equal(r.headers.get('retry-after'), '1', where);
    assert.equal(r.body.status, 0, where);
    assert.equal(r.body.statusMessage, 'failure', where);
    assert.equal(r.body.error.code, 'service_unavailable', where);
    assert.ok(!r.text.includes('postgres://'), 'no database URL in the body');
  }

  async function assertServing(where: string) {
    for (const node of cluster.nodes) {
      // Every pooled connection is good again: twice the pool's size at once, all 200. (No more:
      // a request that waits for a connection gives up after DATABASE_CONNECT_TIMEOUT_MS, and on
      // a loaded machine a queue of four transactions per connection took longer than that.)
      const replies = await Promise.all(Array.from({ length: 2 * POOL_SIZE }, () => post(node.url)));
      assert.deepEqual([...new Set(replies.map((r) => r.status))], [200], `${where} ${node.name}`);
      assert.equal((await call(node.url, 'GET', '/readyz')).status, 200, `${where} ${node.name}`);
    }
  }

  async function recovers(where: string) {
    await Promise.all(
      cluster.nodes.map((node) =>
        eventually(`${node.name} recovers ${where}`, 20_000, async () => {
          const r = await post(node.url);
          return r.status === 200 && (await call(node.url, 'GET', '/readyz')).status === 200;
        }),
      ),
    );
    await assertServing(`after ${where}:`);
  }

  it('serves through the proxy', async () => {
    // Warm first (pools fill, statements are prepared): on a loaded machine the first burst can
    // pass the 1 s statement timeout before any connection was ever cut.
    await recovers('at first');
  });

  it('answers 503 in Jelou’s format while connections are cut and refused; /readyz not ready, /healthz up', async () => {
    await proxy.refuse();
    for (const node of cluster.nodes) {
      const replies = await Promise.all(Array.from({ length: 8 }, () => post(node.url)));
      for (const r of replies) assertJelou503(r, node.name);
      const ready = await call(node.url, 'GET', '/readyz');
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.body, { status: 'not ready', database: 'unavailable' });
      assert.equal((await call(node.url, 'GET', '/healthz')).status, 200);
    }
  });

  it('recovers by itself when the database is back', async () => {
    await proxy.restore();
    await recovers('after a refusal');
  });

  it('answers 503 within its timeouts when the network drops everything silently (no reset, no answer)', async () => {
    // Warm every pooled connection, then partition: open connections go silent, new ones hang.
    await assertServing('before the partition:');
    proxy.blackhole();
    for (const node of cluster.nodes) {
      const replies = await Promise.all(Array.from({ length: 6 }, () => post(node.url)));
      for (const r of replies) assertJelou503(r, node.name);
      assert.equal((await call(node.url, 'GET', '/readyz')).status, 503);
    }
  });

  it('recovers after the partition, dropping the connections that went silent', async () => {
    // New connections work again; the silent ones stay silent forever (a vanished peer).
    await proxy.restore();
    await recovers('after a partition');
  });

  it('survives a cut while a transaction is open, and the process stays up', async () => {
    // Many first-time creates (each a transaction) while every connection is cut, twice.
    const inflight = cluster.nodes.flatMap((node) => Array.from({ length: 10 }, () => post(node.url)));
    proxy.cut();
    await new Promise((r) => setTimeout(r, 5));
    proxy.cut();
    const replies = await Promise.all(inflight);
    for (const r of replies) assert.ok(r.status === 200 || r.status === 503, `${r.status} ${r.text}`);
    for (const r of replies.filter((x) => x.status === 503)) assertJelou503(r, 'cut');
    await recovers('after a cut');
    const child = cluster.nodes.find((x) => x.kind === 'process')!.child!;
    assert.equal(child.exitCode, null, 'the roster process is still running');
  });

  it('leaves no half-written user behind a cut transaction', async () => {
    const orphans = await sql<{ n: number }>`
      select count(*)::int as n from widget_users u
      where (select count(*) from rooms r where r.widget_user_id = u.id) <> 2`.execute(cluster.db.kysely);
    assert.equal(orphans.rows[0]!.n, 0);
  });
});

describe('a pg pool whose connection is cut inside a transaction', { skip: SKIP_POSTGRES }, () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  before(async () => {
    database = await createTestDatabase('postgres');
    proxy = TcpProxy.forUrl(database.url);
    await proxy.listen();
  });
  after(async () => {
    await proxy.close();
    await database.drop();
  });

  it('rejects the transaction as unavailable without crashing, and the pool works again', async () => {
    const db = openDb(proxy.urlThrough(database.url), { poolSize: 2, statementTimeoutMs: 1000, connectTimeoutMs: 1000 });
    const lost: Error[] = [];
    db.onConnectionError = (e) => lost.push(e);
    try {
      await sql`create table t (id int primary key)`.execute(db.kysely);
      const err = await db.kysely
        .transaction()
        .execute(async (trx) => {
          await sql`insert into t values (1)`.execute(trx);
          proxy.cut();
          await sql`insert into t values (2)`.execute(trx);
        })
        .then(
          () => assert.fail('the transaction should have failed'),
          (e: unknown) => e,
        );
      assert.ok(isUnavailable(err), String(err));
      // Idle connections that died are reported, not thrown.
      await sql`select 1`.execute(db.kysely).catch(() => {});
      const rows = await sql<{ id: number }>`select id from t`.execute(db.kysely);
      assert.deepEqual(rows.rows, [], 'the cut transaction left nothing');
      assert.ok(lost.length >= 1, 'the lost connection was reported');
    } finally {
      await db.close();
    }
  });
});
