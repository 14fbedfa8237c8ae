/** The id counters the Chatwoot import moves past Chatwoot's ids before it claims them. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { reserveIdsUpTo } from '../../src/store/import-batches.js';
import { forEachStore, withDb } from '../fixtures/databases.js';
import { servicesOf } from '../fixtures/services.js';
import { insertAccount } from './helpers.js';

forEachStore('reserveIdsUpTo', (kind) => {
  const t = withDb(kind);

  it('moves the next generated id past the reserved ones, never back, and past explicit ids', async () => {
    const company = (await servicesOf(t.db).companies.create({ code: 'ids', name: 'Ids' })).id;
    await reserveIdsUpTo(t.db.kysely, 'accounts', 41);
    assert.equal(await insertAccount(t.db, company, 'first'), 42);
    await reserveIdsUpTo(t.db.kysely, 'accounts', 10);
    assert.equal(await insertAccount(t.db, company, 'second'), 43, 'never back');
    // A row inserted with an explicit id above the counter (PostgreSQL's sequence does not see it).
    await insertAccount(t.db, company, 'explicit', 100);
    await reserveIdsUpTo(t.db.kysely, 'accounts', 50);
    assert.equal(await insertAccount(t.db, company, 'third'), 101);
  });
});
