import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openTestDb, STORES } from '../../test/fixtures/databases.js';
import { insertCompany } from './companies.js';
import type { Db } from './db.js';
import { isUniqueViolation } from './errors.js';
import { inSyncTransaction, readSync } from './sync.js';
import { inTransaction } from './transaction.js';

const now = new Date().toISOString();
const codes = (db: Db) =>
  db.kysely
    .selectFrom('companies')
    .select('code')
    .orderBy('code')
    .execute()
    .then((rows) => rows.map((r) => r.code));
const insert = (code: string) => ({ code, name: `Name ${code}`, require_email_verification: 0, created_at: now, updated_at: now });

describe('inSyncTransaction (sqlite)', () => {
  let t: { db: Db; close(): Promise<void> };
  before(async () => {
    t = await openTestDb('sqlite');
  });
  after(() => t.close());

  it('commits what the unit of work wrote, and answers its value', async () => {
    const r = inSyncTransaction(t.db.kysely, (trx) => {
      trx.all(trx.kysely.insertInto('companies').values(insert('sync-a')));
      return trx.all(trx.kysely.selectFrom('companies').select('code').where('code', '=', 'sync-a'));
    });
    assert.deepEqual(r, { value: [{ code: 'sync-a' }] });
    assert.deepEqual(await codes(t.db), ['sync-a']);
  });

  it('rolls everything back when the unit of work throws, with driver errors as StoreError', async () => {
    assert.throws(
      () =>
        inSyncTransaction(t.db.kysely, (trx) => {
          trx.all(trx.kysely.insertInto('companies').values(insert('sync-b')));
          trx.all(trx.kysely.insertInto('companies').values(insert('sync-a')));
        }),
      (err: unknown) => isUniqueViolation(err),
    );
    assert.deepEqual(await codes(t.db), ['sync-a']);
  });

  it('declines (undefined) while a Kysely transaction is open on the connection, which then commits alone', async () => {
    let inside: unknown = 'not called';
    await inTransaction(t.db.kysely, async (trx) => {
      await trx.insertInto('companies').values(insert('async-c')).execute();
      inside = inSyncTransaction(t.db.kysely, () => 'joined');
      await trx.insertInto('companies').values(insert('async-d')).execute();
    });
    assert.equal(inside, undefined);
    assert.deepEqual(await codes(t.db), ['async-c', 'async-d', 'sync-a']);
    // And is available again once it has ended.
    assert.deepEqual(
      inSyncTransaction(t.db.kysely, () => 'ran'),
      { value: 'ran' },
    );
  });
});

describe('readSync (sqlite)', () => {
  let t: { db: Db; close(): Promise<void> };
  before(async () => {
    t = await openTestDb('sqlite');
    await insertCompany(t.db.kysely, { code: 'r', name: 'R', requireEmailVerification: false, now });
  });
  after(() => t.close());

  it('answers the rows of one statement, with no transaction left open', () => {
    const r = readSync(t.db.kysely, (trx) => trx.all(trx.kysely.selectFrom('companies').select('code')));
    assert.deepEqual(r, { value: [{ code: 'r' }] });
    // Nothing left open: a transaction can start right after.
    assert.deepEqual(
      inSyncTransaction(t.db.kysely, () => 'free'),
      { value: 'free' },
    );
  });

  it('reports driver errors as StoreError', () => {
    assert.throws(
      () => readSync(t.db.kysely, (trx) => trx.all(trx.kysely.insertInto('companies').values(insert('r')))),
      (err: unknown) => isUniqueViolation(err),
    );
  });

  it('declines (undefined) while a Kysely transaction is open on the connection', async () => {
    let inside: unknown = 'not called';
    await inTransaction(t.db.kysely, async (trx) => {
      await trx.selectFrom('companies').select('code').execute();
      inside = readSync(t.db.kysely, () => 'joined');
    });
    assert.equal(inside, undefined);
  });
});

for (const kind of STORES.filter((k) => k !== 'sqlite')) {
  describe(`inSyncTransaction (${kind})`, () => {
    let t: { db: Db; close(): Promise<void> };
    before(async () => {
      t = await openTestDb(kind);
      await insertCompany(t.db.kysely, { code: 'x', name: 'X', requireEmailVerification: false, now });
    });
    after(() => t.close());

    it('declines (undefined): the caller takes the async path', () => {
      assert.equal(
        inSyncTransaction(t.db.kysely, () => 'ran'),
        undefined,
      );
      assert.equal(
        readSync(t.db.kysely, () => 'ran'),
        undefined,
      );
    });
  });
}
