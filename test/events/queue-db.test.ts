/**
 * What the webhook sender of `roster serve` claims and settles on (main.ts, webhookQueueDb): on
 * PostgreSQL a pool of its own, one connection per sender loop, whose commits do not wait for the
 * disk; on SQLite the one database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config.js';
import { start, webhookQueueDb } from '../../src/main.js';
import { openDb, type Db } from '../../src/store/db.js';
import { createTestDatabase, forEachStore, SKIP_POSTGRES, type TestDatabase } from '../fixtures/databases.js';
import { TEST_SECRET_KEY } from '../fixtures/services.js';

const setting = async (db: Db, name: 'synchronous_commit' | 'search_path') =>
  (await sql<Record<string, string>>`select current_setting(${name}) as value`.execute(db.kysely)).rows[0]!.value;

forEachStore("the webhook sender's database", (kind) => {
  let t: TestDatabase;
  let db: Db;
  let queue: Db;
  before(async () => {
    t = await createTestDatabase(kind);
    db = openDb(t.url);
    queue = webhookQueueDb(loadConfig({ DATABASE_URL: t.url, WEBHOOK_CONCURRENCY: '3' }), db);
  });
  after(async () => {
    if (queue !== db) await queue.close();
    await db.close();
    await t.drop();
  });

  it(
    kind === 'postgres' ? 'is a pool of its own, of WEBHOOK_CONCURRENCY connections, committing without waiting for the disk' : 'is the one database',
    async () => {
      if (kind === 'sqlite') {
        assert.equal(queue, db);
        return;
      }
      assert.notEqual(queue, db);
      // Hold every connection at once: the pool has exactly three.
      let release: () => void = () => {};
      const held = new Promise<void>((r) => (release = r));
      const holders = Array.from({ length: 3 }, () =>
        queue.kysely.connection().execute(async (c) => {
          const value = (await sql<{ value: string }>`select current_setting('synchronous_commit') as value`.execute(c)).rows[0]!.value;
          await held;
          return value;
        }),
      );
      try {
        for (let i = 0; i < 100 && queue.poolStats!().total < 3; i++) await new Promise((r) => setTimeout(r, 10));
        assert.deepEqual(queue.poolStats!(), { total: 3, idle: 0, waiting: 0 });
      } finally {
        release();
      }
      assert.deepEqual(await Promise.all(holders), ['off', 'off', 'off']);
      assert.equal(await setting(db, 'synchronous_commit'), 'on');
    },
  );
});

describe('the webhook sender of a running server (postgres)', { skip: SKIP_POSTGRES }, () => {
  it('claims on connections named roster-webhooks, closed with the server', async () => {
    const t = await createTestDatabase('postgres');
    const watch = openDb(t.url, { poolSize: 1 });
    const named = async () =>
      Number(
        (
          await sql<{
            n: string;
          }>`select count(*) as n from pg_stat_activity where datname = current_database() and application_name = 'roster-webhooks'`.execute(watch.kysely)
        ).rows[0]!.n,
      );
    try {
      const running = await start(
        loadConfig({ DATABASE_URL: t.url, PORT: '0', LOG_LEVEL: 'silent', SEED_DEMO: 'false', ROSTER_SECRET_KEY: TEST_SECRET_KEY, WEBHOOK_POLL_MS: '50' }),
      );
      let seen = 0;
      for (let i = 0; i < 200 && seen === 0; i++) {
        seen = await named();
        if (seen === 0) await new Promise((r) => setTimeout(r, 25));
      }
      assert.ok(seen > 0, 'the sender polls the queue on its own connections');
      await running.close();
      for (let i = 0; i < 100 && (await named()) > 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await named(), 0, 'closed with the server');
    } finally {
      await watch.close();
      await t.drop();
    }
  });
});

describe('a PostgreSQL URL with options of its own (postgres)', { skip: SKIP_POSTGRES }, () => {
  it("keeps them on the sender's connections, beside synchronous_commit = off", async () => {
    const t = await createTestDatabase('postgres');
    const url = `${t.url}${t.url.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c search_path=elsewhere,public')}`;
    const db = openDb(url, { poolSize: 1 });
    const queue = webhookQueueDb(loadConfig({ DATABASE_URL: url }), db);
    try {
      assert.equal(await setting(db, 'search_path'), 'elsewhere,public');
      assert.equal(await setting(queue, 'search_path'), 'elsewhere,public');
      assert.equal(await setting(queue, 'synchronous_commit'), 'off');
    } finally {
      await queue.close();
      await db.close();
      await t.drop();
    }
  });
});
