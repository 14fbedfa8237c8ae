/**
 * SQLite only: a unit of work run in one synchronous step (issue 15).
 *
 * better-sqlite3 is synchronous, and the embedded store is one connection. Through Kysely every
 * statement is still a promise: a transaction of eight statements takes eight trips through the
 * event loop while it holds the only connection, and every other request's query waits behind it.
 * Here the statements are built and compiled by Kysely as everywhere else (same SQL, same store
 * functions), then run on the same prepared statements, inside better-sqlite3's own transaction,
 * with no await between BEGIN and COMMIT: nothing else can run in the middle.
 *
 * inSyncTransaction answers undefined when that is not possible and the caller takes its
 * ordinary async path: on PostgreSQL, when the database was opened with a statement hook (tests),
 * and while a Kysely transaction is open on the connection (its statements must not be joined).
 * Driver errors are translated into StoreError, as translate.ts does for Kysely's path.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery, Compilable, Kysely } from 'kysely';
import { translateDriverError } from './errors.js';
import type { Database } from './schema.js';

export interface SyncTrx {
  /** Builds (and compiles) the statements; never executes them. */
  readonly kysely: Kysely<Database>;
  /** Runs one statement: its rows (a statement that returns none: []). */
  all<R>(query: Compilable<R> | CompiledQuery<R>): R[];
}

export interface SyncEngine {
  raw: BetterSqlite3.Database;
  /** The store's statement cache (db.ts pinnedStatements). */
  prepare(sql: string): BetterSqlite3.Statement;
}

const engines = new WeakMap<Kysely<Database>, SyncEngine>();

/** Called by openSqlite: `db` may run synchronous units of work on `engine`. */
export function enableSyncTransactions(db: Kysely<Database>, engine: SyncEngine): void {
  engines.set(db, engine);
}

const isCompiled = <R>(q: Compilable<R> | CompiledQuery<R>): q is CompiledQuery<R> => 'sql' in q && 'parameters' in q;

/**
 * Runs `fn` in one synchronous SQLite transaction (committed when it returns, rolled back when it
 * throws): `{ value }`, or undefined when this database cannot (see above). `fn` must not await.
 * `immediate`: take the write lock at BEGIN (a transaction that reads, then writes, cannot then
 * find that another process wrote in between: SQLite would fail it with SQLITE_BUSY).
 */
export function inSyncTransaction<T>(db: Kysely<Database>, fn: (trx: SyncTrx) => T, options: { immediate?: boolean } = {}): { value: T } | undefined {
  const engine = engines.get(db);
  if (engine === undefined || !engine.raw.open || engine.raw.inTransaction) return undefined;
  const trx = syncTrx(db, engine);
  try {
    const tx = engine.raw.transaction(() => fn(trx));
    return { value: options.immediate ? tx.immediate() : tx() };
  } catch (err) {
    throw translateDriverError(err);
  }
}

/**
 * Runs `fn`, which reads with ONE statement, synchronously and outside an explicit transaction: a
 * single SQLite statement reads one consistent snapshot on its own, and BEGIN and COMMIT around it
 * cost as much again as the read (the returning widget user, issue 15). Undefined when this
 * database cannot (as inSyncTransaction). `fn` must not await, and must not write.
 */
export function readSync<T>(db: Kysely<Database>, fn: (trx: SyncTrx) => T): { value: T } | undefined {
  const engine = engines.get(db);
  if (engine === undefined || !engine.raw.open || engine.raw.inTransaction) return undefined;
  try {
    return { value: fn(syncTrx(db, engine)) };
  } catch (err) {
    throw translateDriverError(err);
  }
}

function syncTrx(db: Kysely<Database>, engine: SyncEngine): SyncTrx {
  return {
    kysely: db,
    all<R>(query: Compilable<R> | CompiledQuery<R>): R[] {
      const q = isCompiled(query) ? query : query.compile();
      const stmt = engine.prepare(q.sql);
      if (stmt.reader) return stmt.all(q.parameters) as R[];
      stmt.run(q.parameters);
      return [];
    },
  };
}
