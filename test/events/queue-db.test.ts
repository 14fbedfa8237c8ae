/**
 * What the webhook sender of `roster serve` claims and settles on (main.ts, webhookQueueDb): on
 * PostgreSQL a pool of its own, one connection per sender loop, whose commits do not wait for the
 * disk; on SQLite the one database.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config.js';
import { webhookQueueDb } from '../../src/main.js';
import { openDb, type Db } from '../../src/store/db.js';
import { createTestDatabase, forEachStore, type TestDatabase } from '../fixtures/databases.js';

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
          const setting = (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(c)).rows[0]!.synchronous_commit;
          await held;
          return setting;
        }),
      );
      for (let i = 0; i < 100 && queue.poolStats!().total < 3; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(queue.poolStats!(), { total: 3, idle: 0, waiting: 0 });
      release();
      assert.deepEqual(await Promise.all(holders), ['off', 'off', 'off']);
      assert.equal((await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db.kysely)).rows[0]!.synchronous_commit, 'on');
    },
  );
});
