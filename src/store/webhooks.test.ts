import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/databases.js';
import { hookedDialect } from '../../test/fixtures/statement-hook.js';
import { openDb, type Db } from './db.js';
import { migrateToLatest } from './migrate.js';
import { claimNextDelivery, dueDeliveries } from './webhooks.js';

describe('the webhook queue on SQLite', () => {
  let t: TestDatabase;
  let db: Db;
  const seen: Array<{ sql: string; parameters: readonly unknown[] }> = [];
  before(async () => {
    t = await createTestDatabase('sqlite');
    db = openDb(t.url, {
      wrapDialect: (d) =>
        hookedDialect(d, async (sql, parameters) => {
          if (sql.includes('"webhook_deliveries"')) seen.push({ sql, parameters });
          return Promise.resolve();
        }),
    });
    await migrateToLatest(db);
  });
  after(async () => {
    await db.close();
    await t.drop();
  });

  it("checks each candidate's endpoint for a delivery in flight through the index of deliveries being sent, never through all its deliveries", async () => {
    await dueDeliveries(db.kysely, new Date().toISOString(), 20);
    const query = seen.at(-1)!;
    const plan = await db.kysely.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]));
    const details = plan.rows.map((r) => r.detail);
    // Without it, a backlog of 1,000 deliveries for one endpoint drained at 27 a second (bench/README.md).
    assert.ok(
      details.some((d) => d.includes('webhook_deliveries_sending_idx')),
      details.join('\n'),
    );
    assert.ok(!details.some((d) => d.includes('webhook_deliveries_webhook_idx')), details.join('\n'));
  });

  it("claims an endpoint's next delivery from the index of pending deliveries alone", async () => {
    const now = new Date().toISOString();
    assert.equal(await claimNextDelivery(db.kysely, 'no-such-endpoint', 0, { claimId: 'c', now, leaseUntil: now }), undefined);
    const query = seen.at(-1)!;
    assert.match(query.sql, /^update/);
    const plan = await db.kysely.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]));
    const details = plan.rows.map((r) => r.detail);
    // Without it, the next delivery was found by a search of every due one (bench/README.md, round nine).
    assert.ok(
      details.some((d) => d.includes('USING COVERING INDEX webhook_deliveries_pending_idx')),
      details.join('\n'),
    );
  });
});
