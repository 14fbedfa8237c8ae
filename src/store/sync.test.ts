import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { sql } from 'kysely';
import { after, before, describe, it } from 'node:test';
import { openTestDb, STORES } from '../../test/fixtures/databases.js';
import { insertCompany } from './companies.js';
import type { Db } from './db.js';
import { isUniqueViolation } from './errors.js';
import { inSyncBatch, MAX_BATCH, readSync } from './sync.js';
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
    // Nothing left open: another synchronous read can run right after (it declines inside a transaction).
    assert.deepEqual(
      readSync(t.db.kysely, () => 'free'),
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

describe('inSyncBatch (sqlite): group commit', () => {
  let t: { db: Db; close(): Promise<void> };
  before(async () => {
    t = await openTestDb('sqlite');
  });
  after(() => t.close());
  const add = (code: string) => inSyncBatch(t.db.kysely, (trx) => (trx.all(trx.kysely.insertInto('companies').values(insert(code))), code))!;

  it('commits the units of one turn together; each promise settles after the COMMIT with its own value', async () => {
    const settled: unknown[] = [];
    const all = ['g-1', 'g-2', 'g-3'].map((code) =>
      add(code).then((r) => {
        // Nothing is open any more when a caller hears back: its rows are committed.
        settled.push(readSync(t.db.kysely, (trx) => trx.all(trx.kysely.selectFrom('companies').select('code').where('code', '=', code))));
        return r;
      }),
    );
    assert.deepEqual(await Promise.all(all), [{ value: 'g-1' }, { value: 'g-2' }, { value: 'g-3' }]);
    assert.deepEqual(settled, [{ value: [{ code: 'g-1' }] }, { value: [{ code: 'g-2' }] }, { value: [{ code: 'g-3' }] }]);
  });

  it('rolls back only the unit that throws (its promise rejects with a StoreError); the others commit', async () => {
    // The failing unit writes a row, then collides: its savepoint takes back both.
    const twice = inSyncBatch(t.db.kysely, (trx) => {
      trx.all(trx.kysely.insertInto('companies').values(insert('h-x')));
      trx.all(trx.kysely.insertInto('companies').values(insert('g-1')));
    })!;
    const results = await Promise.allSettled([add('h-1'), twice, add('h-2')]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.ok(results[1].status === 'rejected' && isUniqueViolation(results[1].reason));
    assert.deepEqual(
      (await codes(t.db)).filter((c) => c.startsWith('h-')),
      ['h-1', 'h-2'],
    );
  });

  it('rolls back a unit alone in its turn (no savepoint then) when it throws after writing', async () => {
    const alone = inSyncBatch(t.db.kysely, (trx) => {
      trx.all(trx.kysely.insertInto('companies').values(insert('a-x')));
      trx.all(trx.kysely.insertInto('companies').values(insert('g-1')));
    })!;
    await assert.rejects(alone, isUniqueViolation);
    const thrown = inSyncBatch(t.db.kysely, (trx) => {
      trx.all(trx.kysely.insertInto('companies').values(insert('a-y')));
      throw new Error('not a driver error');
    })!;
    await assert.rejects(thrown, { message: 'not a driver error' });
    assert.deepEqual(
      (await codes(t.db)).filter((c) => c.startsWith('a-')),
      [],
    );
    // The connection is free again: the next unit commits.
    assert.deepEqual(await add('a-1'), { value: 'a-1' });
  });

  it('writes nothing outside the transaction when SQLite rolls all of it back, even for a unit that catches the error', async () => {
    await sql`create trigger refuse_boom before insert on companies when new.code = 'boom' begin select raise(rollback, 'boom refused'); end`.execute(
      t.db.kysely,
    );
    try {
      const stubborn = inSyncBatch(t.db.kysely, (trx) => {
        try {
          trx.all(trx.kysely.insertInto('companies').values(insert('boom')));
        } catch {
          // Swallowed: the group's transaction is gone with it.
        }
        trx.all(trx.kysely.insertInto('companies').values(insert('x-after')));
      })!;
      const results = await Promise.allSettled([add('x-before'), stubborn, add('x-next')]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['rejected', 'rejected', 'rejected'],
      );
      assert.deepEqual(
        (await codes(t.db)).filter((c) => c.startsWith('x-') || c === 'boom'),
        [],
      );
    } finally {
      await sql`drop trigger refuse_boom`.execute(t.db.kysely);
    }
  });

  it('keeps the savepoints of a large group in memory (keepTemporaryDataInMemory): no temporary file, and a large unit is still rolled back alone', async (ctx) => {
    if (process.platform !== 'linux') return ctx.skip('reads /proc/self/fd');
    t.db.keepTemporaryDataInMemory!();
    // The files SQLite has open for temporary data (named etilqs_*, deleted as soon as opened).
    const tempFiles = () =>
      readdirSync('/proc/self/fd').flatMap((fd) => {
        try {
          const target = readlinkSync(`/proc/self/fd/${fd}`);
          return target.includes('etilqs_') ? [target] : [];
        } catch {
          return [];
        }
      });
    // Each unit changes well over 64 KiB of pages that were there before its savepoint (SQLite
    // journals those, not pages it adds): past that, the sub-journal moves to a file unless
    // temp_store is MEMORY.
    await t.db.kysely
      .insertInto('companies')
      .values(Array.from({ length: 200 }, (_, i) => ({ ...insert(`pre-${i}`), name: 'n'.repeat(1000) })))
      .execute();
    const touchAll = (mark: string, fail = false) =>
      inSyncBatch(t.db.kysely, (trx) => {
        trx.all(trx.kysely.updateTable('companies').set({ updated_at: mark }).where('code', 'like', 'pre-%'));
        if (fail) trx.all(trx.kysely.insertInto('companies').values(insert('pre-0')));
        return tempFiles();
      })!;
    // The failing unit comes last: its changes rolled back, every row keeps the second unit's mark.
    const results = await Promise.allSettled([touchAll('t1'), touchAll('t2'), touchAll('t3', true)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'rejected'],
    );
    assert.deepEqual(results[0].status === 'fulfilled' && results[0].value, { value: [] });
    assert.deepEqual(results[1].status === 'fulfilled' && results[1].value, { value: [] });
    const marks = await t.db.kysely.selectFrom('companies').select('updated_at').distinct().where('code', 'like', 'pre-%').execute();
    assert.deepEqual(marks, [{ updated_at: 't2' }]);
  });

  it(`takes more than ${MAX_BATCH} units in several commits, every one written`, async () => {
    const many = Array.from({ length: MAX_BATCH * 2 + 5 }, (_, i) => `m-${String(i).padStart(3, '0')}`);
    const results = await Promise.all(many.map(add));
    assert.equal(results.length, many.length);
    assert.deepEqual(
      (await codes(t.db)).filter((c) => c.startsWith('m-')),
      many,
    );
  });

  it('resolves undefined (the caller takes its async path) when a Kysely transaction holds the connection at commit time', async () => {
    let queued: { value: string } | undefined | 'not settled' = 'not settled';
    await inTransaction(t.db.kysely, async (trx) => {
      await trx.insertInto('companies').values(insert('k-1')).execute();
      queued = await add('k-2');
      await trx.insertInto('companies').values(insert('k-3')).execute();
    });
    assert.equal(queued, undefined);
    assert.deepEqual(
      (await codes(t.db)).filter((c) => c.startsWith('k-')),
      ['k-1', 'k-3'],
    );
  });
});

for (const kind of STORES.filter((k) => k !== 'sqlite')) {
  describe(`synchronous units (${kind})`, () => {
    let t: { db: Db; close(): Promise<void> };
    before(async () => {
      t = await openTestDb(kind);
      await insertCompany(t.db.kysely, { code: 'x', name: 'X', requireEmailVerification: false, now });
    });
    after(() => t.close());

    it('declines (undefined): the caller takes the async path', () => {
      assert.equal(
        readSync(t.db.kysely, () => 'ran'),
        undefined,
      );
      assert.equal(
        inSyncBatch(t.db.kysely, () => 'ran'),
        undefined,
      );
    });
  });
}
