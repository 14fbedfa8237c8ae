/** The admin console's operators and their sessions (migration 012). */
import type { Kysely } from 'kysely';
import type { Database, OperatorRow } from './schema.js';

/** Inserts an operator; undefined when the email is taken. */
export async function insertOperator(db: Kysely<Database>, o: { email: string; passwordHash: string; now: string }): Promise<OperatorRow | undefined> {
  return db
    .insertInto('operators')
    .values({ email: o.email, password_hash: o.passwordHash, created_at: o.now })
    .onConflict((oc) => oc.column('email').doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function findOperatorByEmail(db: Kysely<Database>, email: string): Promise<OperatorRow | undefined> {
  return db.selectFrom('operators').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function listOperators(db: Kysely<Database>): Promise<OperatorRow[]> {
  return db.selectFrom('operators').selectAll().orderBy('id').execute();
}

/**
 * Replaces an operator's password hash only if the stored one is still `expected` (a conditional
 * UPDATE, as replacePasswordHash for users). True when it was replaced.
 */
export async function replaceOperatorPasswordHash(db: Kysely<Database>, id: number, expected: string, next: string): Promise<boolean> {
  const res = await db.updateTable('operators').set({ password_hash: next }).where('id', '=', id).where('password_hash', '=', expected).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Deletes an operator (their sessions go with them); the row deleted, or undefined. */
export async function deleteOperator(db: Kysely<Database>, id: number): Promise<OperatorRow | undefined> {
  return db.deleteFrom('operators').where('id', '=', id).returningAll().executeTakeFirst();
}

export async function insertOperatorSession(
  db: Kysely<Database>,
  s: { tokenDigest: string; operatorId: number; now: string; expiresAt: string },
): Promise<void> {
  await db
    .insertInto('operator_sessions')
    .values({ token_digest: s.tokenDigest, operator_id: s.operatorId, created_at: s.now, expires_at: s.expiresAt })
    .execute();
}

/** The operator of a live session (not expired at `now`), by the token's digest. */
export async function findSessionOperator(
  db: Kysely<Database>,
  tokenDigest: string,
  now: string,
): Promise<{ id: number; email: string; expiresAt: string } | undefined> {
  const row = await db
    .selectFrom('operator_sessions')
    .innerJoin('operators', 'operators.id', 'operator_sessions.operator_id')
    .select(['operators.id as id', 'operators.email as email', 'operator_sessions.expires_at as expires_at'])
    .where('operator_sessions.token_digest', '=', tokenDigest)
    .where('operator_sessions.expires_at', '>', now)
    .executeTakeFirst();
  return row && { id: Number(row.id), email: row.email, expiresAt: row.expires_at };
}

export async function deleteOperatorSession(db: Kysely<Database>, tokenDigest: string): Promise<boolean> {
  const res = await db.deleteFrom('operator_sessions').where('token_digest', '=', tokenDigest).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** Every session that expired before `before`. */
export async function purgeExpiredOperatorSessions(db: Kysely<Database>, before: string): Promise<number> {
  const res = await db.deleteFrom('operator_sessions').where('expires_at', '<=', before).executeTakeFirst();
  return Number(res.numDeletedRows);
}
