import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Runs `fn` in one transaction: core composes store calls without writing SQL itself. */
export function inTransaction<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn);
}
