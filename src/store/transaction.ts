import { PostgresAdapter, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database } from './schema.js';

/**
 * Runs `fn` in one transaction. Services own their unit of work: they open it here and hand the
 * transaction to store functions, each of which runs its statements on the executor it is given.
 */
export function inTransaction<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn);
}

/**
 * Locks the selected rows until the transaction ends where the engine has row locks (PostgreSQL's
 * FOR UPDATE). SQLite runs one write transaction at a time, so a read-then-write in a transaction
 * is already serialised there (every transaction takes the write lock when it begins: db.ts).
 */
export function forUpdate<DB, TB extends keyof DB, O>(db: Kysely<Database>, q: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
  return db.getExecutor().adapter instanceof PostgresAdapter ? q.forUpdate() : q;
}

/**
 * Like forUpdate, in PostgreSQL's weaker FOR NO KEY UPDATE: it serialises the callers that take it
 * on a row, but does not wait for (nor block) transactions that insert rows referencing it.
 */
export function forNoKeyUpdate<DB, TB extends keyof DB, O>(db: Kysely<Database>, q: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
  return db.getExecutor().adapter instanceof PostgresAdapter ? q.forNoKeyUpdate() : q;
}
