import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createTestDatabase, STORES, type TestDatabase } from '../../test/fixtures/databases.js';
import { hookedDialect } from '../../test/fixtures/statement-hook.js';
import { insertCompany } from './companies.js';
import { findOrCreateBot } from './credentials.js';
import { openDb, type Db } from './db.js';
import { migrateToLatest } from './migrate.js';
import { inTransaction } from './transaction.js';
import {
  findWidgetUser,
  insertRooms,
  insertWidgetUser,
  LOOKUP_MAX_WAIT_MS,
  LOOKUP_QUERIES_IN_FLIGHT,
  MAX_LOOKUPS_PER_QUERY,
  type NewRoom,
} from './widget-users.js';

const now = new Date().toISOString();

/** Reference ids a client may send: array syntax, quotes, backslashes, spaces, non-ASCII. */
const REFS = [
  'plain',
  'a,b',
  '{braces}',
  '"quoted"',
  'back\\slash',
  'with space',
  ' leading space',
  'NULL',
  'ñandú 🐦',
  "it's",
  'lone \ud800 surrogate',
  ''.padEnd(255, 'x'),
];

async function addUser(db: Db, botId: string, companyId: number, ref: string, n: number): Promise<void> {
  const id = await insertWidgetUser(db.kysely, {
    bot_id: botId,
    company_id: companyId,
    reference_id: ref,
    names: `Names ${n}`,
    legal_id: n % 2 ? null : `L${n}`,
    socket_id: `s-${botId}-${n}`,
    provider_id: `p-${botId}-${n}`,
    group_id: `g-${botId}-${n}`,
    created_at: now,
    updated_at: now,
  });
  assert.ok(id !== undefined);
  const room = (kind: 'personal' | 'group'): NewRoom => ({
    oid: `${kind}-${botId}-${n}`,
    id: `${kind}:${botId}:${n}`,
    kind,
    name: `${kind} ${n}`,
    lastMessageAt: now,
    createdAt: now,
    updatedAt: now,
  });
  await insertRooms(db.kysely, { id, botId, referenceId: ref }, [room('personal'), room('group')]);
}

for (const kind of STORES) {
  describe(`findWidgetUser (${kind})`, () => {
    let t: TestDatabase;
    let db: Db;
    /** Statements that read widget users by many keys at once, the most keys one took, how many of the next fail, and how many of the next hang until `release`. */
    let coalesced = 0;
    let largest = 0;
    let failing = 0;
    let hanging = 0;
    let release: () => void = () => {};
    let released = new Promise<void>((r) => (release = r));
    before(async () => {
      t = await createTestDatabase(kind);
      db = openDb(t.url, {
        poolSize: 10,
        wrapDialect: (d) =>
          hookedDialect(d, async (text, parameters) => {
            if (!text.includes('unnest(') || !text.includes('"rooms"') || text.startsWith('insert')) return;
            coalesced++;
            largest = Math.max(largest, (parameters[0] as unknown[]).length);
            if (failing > 0) {
              failing--;
              throw new Error('injected failure');
            }
            if (hanging > 0) {
              hanging--;
              await released;
            }
          }),
      });
      await migrateToLatest(db);
      const companyId = (await insertCompany(db.kysely, { code: 'c', name: 'C', requireEmailVerification: false, now }))!.id;
      let n = 0;
      for (const bot of ['bot-a', 'bot-b']) {
        await findOrCreateBot(db.kysely, { id: bot, companyId, name: bot, now });
        for (const ref of REFS) await addUser(db, bot, companyId, ref, n++);
      }
      // bot-b has one more user, whose id bot-a does not have.
      await addUser(db, 'bot-b', companyId, 'only-b', n++);
    });
    after(async () => {
      await db.close();
      await t.drop();
    });

    /** Every key, known or not, twice, in an order that mixes the bots. */
    const keys = (): Array<[string, string]> => {
      const all: Array<[string, string]> = [];
      for (const ref of [...REFS, 'only-b', 'nobody', 'Plain']) for (const bot of ['bot-b', 'bot-a', 'no-such-bot']) all.push([bot, ref]);
      return [...all, ...all.reverse()];
    };

    it('answers lookups made together exactly as the same lookups made one at a time', async () => {
      const alone = [];
      for (const [bot, ref] of keys()) alone.push(await findWidgetUser(db.kysely, bot, ref));
      const before = coalesced;
      const together = await Promise.all(keys().map(([bot, ref]) => findWidgetUser(db.kysely, bot, ref)));
      assert.deepEqual(together, alone);
      // Known users come back whole; unknown ones (another bot's, another case) do not.
      const found = alone.filter((u) => u !== undefined);
      assert.equal(found.length, 2 * (REFS.length * 2 + 1));
      for (const u of found) assert.deepEqual(Object.keys(u.rooms).sort(), ['group', 'personal']);
      assert.equal(alone[keys().findIndex(([bot, ref]) => bot === 'bot-a' && ref === 'only-b')], undefined);
      if (kind === 'postgres') {
        // Coalesced on PostgreSQL: far fewer queries than lookups. One at a time, none was.
        const queries = coalesced - before;
        assert.ok(queries >= 1 && queries <= 4, `${keys().length} lookups took ${queries} coalesced queries`);
      } else {
        assert.equal(coalesced, 0);
      }
    });

    it('takes at most MAX_LOOKUPS_PER_QUERY lookups in one query', async () => {
      const many = Array.from({ length: MAX_LOOKUPS_PER_QUERY * 2 + 1 }, (_, i) => REFS[i % REFS.length]!);
      const before = coalesced;
      const users = await Promise.all(many.map((ref) => findWidgetUser(db.kysely, 'bot-a', ref)));
      assert.deepEqual(
        users.map((u) => u?.referenceId),
        many,
      );
      // 201 lookups cannot go in one query of at most 100 (a lone leftover goes as the one-user lookup).
      if (kind === 'postgres') {
        assert.ok(coalesced - before >= 2, `${many.length} lookups took ${coalesced - before} coalesced queries`);
        assert.equal(largest, MAX_LOOKUPS_PER_QUERY);
      }
    });

    /** Lookups of every REFS user, which must all answer within `ms`. */
    const answersWithin = async (ms: number) => {
      let timer: NodeJS.Timeout | undefined;
      const users = await Promise.race([
        Promise.all(REFS.map((ref) => findWidgetUser(db.kysely, 'bot-a', ref))),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`lookups got no answer in ${ms} ms`)), ms))),
      ]).finally(() => clearTimeout(timer));
      assert.deepEqual(
        users.map((u) => u?.referenceId),
        REFS,
      );
    };

    it('fails every lookup of a failed query; the failed queries give their slots back', async () => {
      if (kind !== 'postgres') return;
      // Every slot's query fails: a slot kept by a failed query would leave later lookups waiting
      // for LOOKUP_MAX_WAIT_MS each time, and slots kept by all of them, forever.
      failing = LOOKUP_QUERIES_IN_FLIGHT;
      const failed = await Promise.allSettled(
        Array.from({ length: MAX_LOOKUPS_PER_QUERY * LOOKUP_QUERIES_IN_FLIGHT }, (_, i) => findWidgetUser(db.kysely, 'bot-a', REFS[i % REFS.length]!)),
      );
      assert.equal(failing, 0);
      assert.ok(failed.every((r) => r.status === 'rejected'));
      for (let round = 0; round < 3; round++) await answersWithin(LOOKUP_MAX_WAIT_MS / 2);
    });

    it('sends waiting lookups anyway once they have waited LOOKUP_MAX_WAIT_MS for queries that never answer', async () => {
      if (kind !== 'postgres') return;
      hanging = LOOKUP_QUERIES_IN_FLIGHT;
      const stuck = Array.from({ length: MAX_LOOKUPS_PER_QUERY * LOOKUP_QUERIES_IN_FLIGHT }, (_, i) =>
        findWidgetUser(db.kysely, 'bot-a', REFS[i % REFS.length]!),
      );
      for (let waited = 0; hanging > 0 && waited < 2000; waited += 10) await new Promise((r) => setTimeout(r, 10));
      assert.equal(hanging, 0);
      await answersWithin(LOOKUP_MAX_WAIT_MS * 10);
      release();
      released = new Promise<void>((r) => (release = r));
      assert.equal((await Promise.all(stuck)).length, stuck.length);
    });

    it('reads inside a transaction on the transaction itself: its own uncommitted user is found, and nobody else sees it', async () => {
      const companyId = (await db.kysely.selectFrom('companies').select('id').executeTakeFirstOrThrow()).id;
      await inTransaction(db.kysely, async (trx) => {
        const id = await insertWidgetUser(trx, {
          bot_id: 'bot-a',
          company_id: companyId,
          reference_id: 'uncommitted',
          names: 'U',
          legal_id: null,
          socket_id: 's',
          provider_id: 'p',
          group_id: 'g',
          created_at: now,
          updated_at: now,
        });
        const room = (kind: 'personal' | 'group'): NewRoom => ({
          oid: `u-${kind}`,
          id: `u:${kind}`,
          kind,
          name: kind,
          lastMessageAt: now,
          createdAt: now,
          updatedAt: now,
        });
        await insertRooms(trx, { id: id!, botId: 'bot-a', referenceId: 'uncommitted' }, [room('personal'), room('group')]);
        assert.equal((await findWidgetUser(trx, 'bot-a', 'uncommitted'))?.referenceId, 'uncommitted');
        if (kind === 'postgres') assert.equal(await findWidgetUser(db.kysely, 'bot-a', 'uncommitted'), undefined);
      });
      assert.equal((await findWidgetUser(db.kysely, 'bot-a', 'uncommitted'))?.referenceId, 'uncommitted');
    });
  });
}

if (STORES.includes('postgres')) {
  describe('findWidgetUser on a PostgreSQL table that grows (postgres)', () => {
    let t: TestDatabase;
    let db: Db;
    let companyId: number;
    before(async () => {
      t = await createTestDatabase('postgres');
      // One connection: every statement below runs on the same server session, with its plan cache.
      db = openDb(t.url, { poolSize: 1 });
      await migrateToLatest(db);
      // No autovacuum: its ANALYZE would throw the session's cached plans away and hide a kept one.
      for (const table of ['widget_users', 'rooms']) await sql`alter table ${sql.table(table)} set (autovacuum_enabled = false)`.execute(db.kysely);
      companyId = (await insertCompany(db.kysely, { code: 'c', name: 'C', requireEmailVerification: false, now }))!.id;
      await findOrCreateBot(db.kysely, { id: 'bot', companyId, name: 'bot', now });
      for (const [n, ref] of ['u0', 'u1'].entries()) await addUser(db, 'bot', companyId, ref, n);
    });
    after(async () => {
      await db.close();
      await t.drop();
    });

    /** Sequential and index scans of widget_users so far, as the server counts them (flushed first). */
    const scans = async () => {
      await sql`select pg_stat_force_next_flush()`.execute(db.kysely);
      const { rows } = await sql<{
        seq: string;
        idx: string;
      }>`select seq_scan as seq, idx_scan as idx from pg_stat_user_tables where relname = 'widget_users'`.execute(db.kysely);
      return { seq: Number(rows[0]!.seq), idx: Number(rows[0]!.idx) };
    };
    const together = () => Promise.all(['u0', 'u1', 'nobody'].map((ref) => findWidgetUser(db.kysely, 'bot', ref)));

    it('reads a table grown 2,500-fold by its index, though it looked itself up many times while the table was tiny', async (ctx) => {
      const { rows: version } = await sql<{ n: string }>`select current_setting('server_version_num') as n`.execute(db.kysely);
      if (Number(version[0]!.n) < 150000) return ctx.skip('pg_stat_force_next_flush() needs PostgreSQL 15 or later');
      // More than the five custom plans after which PostgreSQL may keep a generic plan for a named
      // statement: while the table is two rows, that plan scans it whole.
      for (let i = 0; i < 10; i++) {
        assert.equal((await together()).filter((u) => u !== undefined).length, 2);
        assert.equal((await findWidgetUser(db.kysely, 'bot', 'u0'))?.referenceId, 'u0');
      }
      await sql`insert into widget_users (bot_id, company_id, reference_id, names, socket_id, provider_id, group_id, created_at, updated_at)
        select 'bot', ${companyId}, 'g' || n, 'G', 's', 'p', 'g', ${now}, ${now} from generate_series(1, 5000) as n`.execute(db.kysely);
      await sql`insert into rooms (oid, id, kind, bot_id, widget_user_id, name, last_message_at, created_at, updated_at)
        select k || u.id, k || u.id, k, 'bot', u.id, 'r', ${now}, ${now}, ${now}
        from widget_users as u cross join (values ('personal'), ('group')) as v(k) where u.reference_id like 'g%'`.execute(db.kysely);
      const before = await scans();
      for (let i = 0; i < 5; i++) {
        assert.equal((await together()).filter((u) => u !== undefined).length, 2);
        assert.equal((await findWidgetUser(db.kysely, 'bot', 'g4321'))?.referenceId, 'g4321');
      }
      const grown = await scans();
      assert.ok(grown.idx > before.idx, `the lookups used the index (${before.idx} -> ${grown.idx} index scans)`);
      assert.equal(grown.seq - before.seq, 0, 'no lookup scanned the whole table');
    });
  });
}
