import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { classifyError } from '../apis/shared/errors.js';
import { openDb, redactUrl, refreshStatistics, type Db } from './db.js';
import { isUnavailable, StoreError } from './errors.js';
import { migrateToLatest } from './migrate.js';
import { inTransaction } from './transaction.js';
import { createTestDatabase, SKIP_POSTGRES } from '../../test/fixtures/databases.js';

describe('SQLite under another process’s write lock', () => {
  it('waits busy_timeout, then fails as unavailable (503), and works once the lock is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-busy-'));
    const file = join(dir, 'roster.db');
    const store = openDb(`sqlite:${file}`, { busyTimeoutMs: 50 });
    // Stands for another process (the CLI, a backup) writing the same file. Opened through openDb,
    // which keeps better-sqlite3's native objects from being garbage collected (Node 24, see db.ts).
    const other = openDb(`sqlite:${file}`, { busyTimeoutMs: 0 });
    try {
      await migrateToLatest(store);
      await sql`begin immediate`.execute(other.kysely);
      const now = new Date().toISOString();
      const insert = () =>
        store.kysely.insertInto('companies').values({ code: 'busy', name: 'Busy', require_email_verification: 0, created_at: now, updated_at: now }).execute();
      const err = await insert().then(
        () => assert.fail('the insert should have met the lock'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof StoreError);
      assert.match(String((err.cause as { code?: string }).code), /^SQLITE_BUSY/);
      assert.ok(isUnavailable(err));
      const c = classifyError(err);
      assert.equal(c.status, 503);
      assert.equal(c.retryAfter, 1);
      // Readers are not blocked by a writer in WAL mode.
      assert.equal((await sql<{ n: number }>`select count(*) as n from companies`.execute(store.kysely)).rows[0]!.n, 0);
      await sql`commit`.execute(other.kysely);
      await insert();
      assert.equal((await store.kysely.selectFrom('companies').select('code').execute()).length, 1);
    } finally {
      await other.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite transactions begin IMMEDIATE', () => {
  it('a transaction that reads, then writes, holds the write lock from its start: another process waits for it, never breaks it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-immediate-'));
    const file = join(dir, 'roster.db');
    const store = openDb(`sqlite:${file}`, { busyTimeoutMs: 50 });
    const other = openDb(`sqlite:${file}`, { busyTimeoutMs: 0 });
    try {
      await migrateToLatest(store);
      const now = new Date().toISOString();
      const insert = (db: Db['kysely'], code: string) =>
        db.insertInto('companies').values({ code, name: code, require_email_verification: 0, created_at: now, updated_at: now }).execute();
      await inTransaction(store.kysely, async (trx) => {
        await trx.selectFrom('companies').selectAll().execute();
        // Begun DEFERRED, this transaction held a read snapshot only: the other's write went in,
        // and this one's write below then failed at once (SQLITE_BUSY_SNAPSHOT).
        const meanwhile = await insert(other.kysely, 'other').then(
          () => 'written',
          (e: unknown) => e,
        );
        assert.ok(meanwhile instanceof StoreError && isUnavailable(meanwhile), 'the other process meets the lock');
        await insert(trx, 'mine');
      });
      await insert(other.kysely, 'other');
      assert.deepEqual(
        (await store.kysely.selectFrom('companies').select('code').orderBy('code').execute()).map((r) => r.code),
        ['mine', 'other'],
      );
    } finally {
      await other.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('redactUrl', () => {
  it('removes passwords from database and Redis URLs', () => {
    assert.equal(redactUrl('postgres://u:hunter2@h:5432/db'), 'postgres://u:***@h:5432/db');
    assert.equal(redactUrl('redis://:hunter2@h:6379'), 'redis://:***@h:6379');
    assert.ok(!redactUrl('not a url //u:hunter2@h').includes('hunter2'));
  });
});

describe('PostgreSQL: a connection whose query got no answer', { skip: SKIP_POSTGRES }, () => {
  it('is dropped at once: a query sent as soon as the timeout is reported gets a live connection', async () => {
    // A TCP proxy in front of PostgreSQL that goes silent, both ways, on a connection once it
    // carries the word FREEZEME: a server that stopped answering.
    const proxy = createServer((client) => {
      const server = connect(Number(new URL(process.env.DATABASE_URL_TEST!).port || 5432), new URL(process.env.DATABASE_URL_TEST!).hostname);
      let frozen = false;
      client.on('data', (buf) => {
        if (buf.includes('FREEZEME')) frozen = true;
        if (!frozen) server.write(buf);
      });
      server.on('data', (buf) => {
        if (!frozen) client.write(buf);
      });
      for (const [a, b] of [
        [client, server],
        [server, client],
      ] as const) {
        a.on('error', () => b.destroy());
        a.on('close', () => b.destroy());
      }
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const t = await createTestDatabase('postgres');
    const url = new URL(t.url);
    url.hostname = '127.0.0.1';
    url.port = String((proxy.address() as AddressInfo).port);
    const db = openDb(url.toString(), { poolSize: 5, statementTimeoutMs: 300 });
    try {
      await sql`select 1`.execute(db.kysely);
      // The next query asks the pool in the same tick as the timeout's rejection, before the dead
      // socket's close event: it must not get the dead client back.
      const next = await sql`select 'FREEZEME'`.execute(db.kysely).then(
        () => assert.fail('the frozen query should have timed out'),
        (err: unknown) => {
          assert.match(String((err as Error).message), /timeout/i);
          return sql<{ two: number }>`select 2 as two`.execute(db.kysely);
        },
      );
      assert.deepEqual(next.rows, [{ two: 2 }]);
    } finally {
      await db.close();
      proxy.close();
      await t.drop();
    }
  });
});

describe('PostgreSQL: a transaction left open and idle', { skip: SKIP_POSTGRES }, () => {
  it('is ended by the server after idleInTransactionTimeoutMs, and its row locks with it', async () => {
    const t = await createTestDatabase('postgres');
    const db = openDb(t.url, { poolSize: 2, statementTimeoutMs: 300, idleInTransactionTimeoutMs: 300 });
    // Another client, with no timeouts of its own, that wants the same row.
    const other = openDb(t.url, { poolSize: 1, statementTimeoutMs: 0 });
    try {
      await sql`create table counters (id int primary key, n int not null)`.execute(db.kysely);
      await sql`insert into counters values (1, 0)`.execute(db.kysely);
      const order: string[] = [];
      let locked: () => void = () => {};
      const holding = new Promise<void>((r) => (locked = r));
      const stuck = db.kysely.transaction().execute(async (trx) => {
        await sql`update counters set n = n + 1 where id = 1`.execute(trx);
        locked();
        // A process that stops mid-transaction, holding the row's lock.
        await new Promise((r) => setTimeout(r, 2000));
        order.push('the stuck transaction resumed');
        await sql`select 1`.execute(trx);
      });
      // It fails as the database being unavailable (a 503 to a client), not as a bug.
      const outcome = stuck.then(
        () => 'committed',
        (err: unknown) => (isUnavailable(err) ? 'failed: unavailable' : `failed: ${String(err)}`),
      );
      // Only once the stuck transaction holds the row: the other write has to wait for its end.
      await holding;
      await sql`update counters set n = n + 10 where id = 1`.execute(other.kysely);
      order.push('the other write went through');
      assert.equal(await outcome, 'failed: unavailable');
      assert.deepEqual(order, ['the other write went through', 'the stuck transaction resumed']);
      // Only the other write stands; the pool serves the next query on a live connection.
      assert.deepEqual((await sql<{ n: number }>`select n from counters where id = 1`.execute(db.kysely)).rows, [{ n: 10 }]);
    } finally {
      await other.close();
      await db.close();
      await t.drop();
    }
  });
});

describe('PostgreSQL: refreshStatistics', { skip: SKIP_POSTGRES }, () => {
  it('analyzes each table it is given, and one that cannot be analyzed stops neither the others nor its caller', async () => {
    const t = await createTestDatabase('postgres');
    const db = openDb(t.url, { poolSize: 1 });
    try {
      await migrateToLatest(db);
      const analyzed = async (table: string) =>
        Number((await sql<{ n: string }>`select analyze_count as n from pg_stat_user_tables where relname = ${table}`.execute(db.kysely)).rows[0]?.n ?? -1);
      // Statistics reach pg_stat_user_tables a moment after the statement.
      const settled = async (table: string, least: number) => {
        for (let i = 0; i < 100 && (await analyzed(table)) < least; i++) {
          await sql`select pg_stat_clear_snapshot()`.execute(db.kysely);
          await new Promise((r) => setTimeout(r, 50));
        }
        return analyzed(table);
      };
      const before = await analyzed('companies');
      await sql`drop table widget_users cascade`.execute(db.kysely);
      await refreshStatistics(db, ['widget_users', 'companies']);
      assert.equal(await settled('companies', before + 1), before + 1);
      assert.equal(await analyzed('widget_users'), -1, 'the table is gone');
      // The connection it failed on serves the next query.
      assert.deepEqual((await sql<{ one: number }>`select 1 as one`.execute(db.kysely)).rows, [{ one: 1 }]);
    } finally {
      await db.close();
      await t.drop();
    }
  });
});

describe('PostgreSQL: a pool with asyncCommit', { skip: SKIP_POSTGRES }, () => {
  it('commits without waiting for the disk on its own connections only', async () => {
    const t = await createTestDatabase('postgres');
    const queue = openDb(t.url, { poolSize: 1, asyncCommit: true });
    const plain = openDb(t.url, { poolSize: 1 });
    try {
      const setting = async (db: Db) => (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db.kysely)).rows[0]!.synchronous_commit;
      assert.equal(await setting(queue), 'off');
      assert.equal(await setting(plain), 'on');
      // A transaction on it commits as any other.
      await sql`create table t (n int)`.execute(plain.kysely);
      await queue.kysely.transaction().execute((trx) => sql`insert into t values (1)`.execute(trx));
      assert.deepEqual((await sql<{ n: number }>`select n from t`.execute(plain.kysely)).rows, [{ n: 1 }]);
    } finally {
      await queue.close();
      await plain.close();
      await t.drop();
    }
  });
});
