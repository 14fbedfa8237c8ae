/**
 * Every column that holds a value sealed under the installation key (infra/secret-box.ts), for the
 * key rotation: read them all, write each one back re-sealed.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface SealedColumn {
  table: 'webhooks' | 'user_access_tokens' | 'users' | 'agent_bots';
  column: 'secret_sealed' | 'token_sealed' | 'pubsub_token_sealed' | 'access_token_sealed';
}

/** Add a column here when a migration adds one that holds a sealed value. */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'webhooks', column: 'secret_sealed' },
  { table: 'user_access_tokens', column: 'token_sealed' },
  { table: 'users', column: 'pubsub_token_sealed' },
  { table: 'agent_bots', column: 'access_token_sealed' },
];

/** The sealed values of a column (rows without one are left out), by primary key `id`. */
export async function listSealed(db: Kysely<Database>, c: SealedColumn): Promise<Array<{ id: string | number; sealed: string }>> {
  const res = await sql<{
    id: string | number;
    sealed: string;
  }>`select id, ${sql.ref(c.column)} as sealed from ${sql.table(c.table)} where ${sql.ref(c.column)} is not null order by id`.execute(db);
  return res.rows;
}

/** Replaces one sealed value, only if it is still `before`; false when it changed meanwhile. */
export async function replaceSealed(db: Kysely<Database>, c: SealedColumn, id: string | number, before: string, after: string): Promise<boolean> {
  const res = await sql`update ${sql.table(c.table)} set ${sql.ref(c.column)} = ${after} where id = ${id} and ${sql.ref(c.column)} = ${before}`.execute(db);
  return Number(res.numAffectedRows ?? 0) > 0;
}
