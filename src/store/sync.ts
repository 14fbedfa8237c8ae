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
 * readSync and inSyncBatch answer undefined when that is not possible and the caller takes its
 * ordinary async path: on PostgreSQL, when the database was opened with a statement hook (tests),
 * and while a Kysely transaction is open on the connection (its statements must not be joined).
 * Driver errors are translated into StoreError, as translate.ts does for Kysely's path.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery, Compilable, Kysely } from 'kysely';
import { translateDriverError } from './errors.js';
import type { RowStatement } from './sqlite-rows.js';
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
  prepare(sql: string): RowStatement;
}

interface Job {
  fn: (trx: SyncTrx) => unknown;
  resolve(result: { value: unknown } | undefined): void;
  reject(err: unknown): void;
}

interface Engine extends SyncEngine {
  /** Units of work waiting for the next group commit (inSyncBatch). */
  pending: Job[];
}

const engines = new WeakMap<Kysely<Database>, Engine>();

/** Called by openSqlite: `db` may run synchronous units of work on `engine`. */
export function enableSyncTransactions(db: Kysely<Database>, engine: SyncEngine): void {
  engines.set(db, { ...engine, pending: [] });
}

/** The most units of work one group commit takes; the rest go in the next. */
export const MAX_BATCH = 128;

const isCompiled = <R>(q: Compilable<R> | CompiledQuery<R>): q is CompiledQuery<R> => 'sql' in q && 'parameters' in q;

/**
 * Runs `fn`, which reads with ONE statement, synchronously and outside an explicit transaction: a
 * single SQLite statement reads one consistent snapshot on its own, and BEGIN and COMMIT around it
 * cost as much again as the read (the returning widget user, issue 15). Undefined when this
 * database cannot (see above). `fn` must not await, and must not write.
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

/**
 * Group commit. Queues `fn` to run, with every other unit of work queued in the same turn of the
 * event loop, in ONE `BEGIN IMMEDIATE ... COMMIT`, each in a savepoint of its own (a unit alone in
 * its batch needs none: its failure rolls back the transaction, which is its own writes only): a
 * unit that throws is rolled back alone and its promise rejects (driver errors as StoreError); the others
 * commit. Every promise settles only after the COMMIT, so no caller answers with rows that are not
 * yet durable. Why: a commit writes every page the transaction touched to the WAL; units that
 * insert side by side touch the same pages, so N of them in one commit write far fewer pages than N
 * commits (issue 15: a new widget user).
 *
 * Answers undefined at once when this database cannot run synchronous units (PostgreSQL, a
 * statement hook), and the promise resolves undefined when it could not at commit time (a Kysely
 * transaction was open on the connection): the caller then takes its ordinary async path. `fn`
 * must not await. Whatever `fn` does outside the database (a callback) happens even if the group
 * commit fails afterwards.
 */
export function inSyncBatch<T>(db: Kysely<Database>, fn: (trx: SyncTrx) => T): Promise<{ value: T } | undefined> | undefined {
  const engine = engines.get(db);
  if (engine === undefined || !engine.raw.open) return undefined;
  return new Promise((resolve, reject) => {
    if (engine.pending.push({ fn, resolve: resolve as Job['resolve'], reject }) === 1) setImmediate(() => commitPending(db, engine));
  });
}

function commitPending(db: Kysely<Database>, engine: Engine): void {
  const jobs = engine.pending.splice(0, MAX_BATCH);
  if (engine.pending.length > 0) setImmediate(() => commitPending(db, engine));
  const { raw } = engine;
  if (!raw.open || raw.inTransaction) {
    for (const job of jobs) job.resolve(undefined);
    return;
  }
  // A unit that caught a driver error after SQLite rolled the whole transaction back must not go
  // on writing outside it, in autocommit: its next statement throws instead.
  const trx = syncTrx(db, engine, true);
  const outcomes: Array<{ value: unknown } | { err: unknown }> = [];
  try {
    raw
      .transaction(() => {
        // One unit alone needs no savepoint: if it throws, the whole transaction is rolled back,
        // which is that unit's own writes (two statements fewer per sign-up, issue 15).
        if (jobs.length === 1) {
          outcomes.push({ value: jobs[0]!.fn(trx) });
          return;
        }
        for (const job of jobs) {
          try {
            // Nested: better-sqlite3 runs it in a savepoint, rolled back alone when it throws.
            outcomes.push({ value: raw.transaction(() => job.fn(trx))() });
          } catch (err) {
            // Some errors (SQLITE_FULL, an I/O error) make SQLite roll back the whole transaction:
            // then nothing of this group was written, and every unit fails.
            if (!raw.inTransaction) throw err;
            outcomes.push({ err: translateDriverError(err) });
          }
        }
      })
      .immediate();
  } catch (err) {
    const failed = translateDriverError(err);
    for (const job of jobs) job.reject(failed);
    return;
  }
  jobs.forEach((job, i) => {
    const outcome = outcomes[i]!;
    if ('err' in outcome) job.reject(outcome.err);
    else job.resolve(outcome);
  });
}

function syncTrx(db: Kysely<Database>, engine: SyncEngine, inTransaction = false): SyncTrx {
  return {
    kysely: db,
    all<R>(query: Compilable<R> | CompiledQuery<R>): R[] {
      if (inTransaction && !engine.raw.inTransaction) throw new Error('the group commit was rolled back: no statement may run outside it');
      const q = isCompiled(query) ? query : query.compile();
      const stmt = engine.prepare(q.sql);
      if (stmt.reader) return stmt.all(q.parameters) as R[];
      stmt.run(q.parameters);
      return [];
    },
  };
}
