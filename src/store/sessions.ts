import type { Kysely } from 'kysely';
import type { Database, UserRow } from './schema.js';

export async function insertSession(db: Kysely<Database>, s: { tokenDigest: string; userId: number; now: string; expiresAt: string }): Promise<void> {
  await db.insertInto('sessions').values({ token_digest: s.tokenDigest, user_id: s.userId, created_at: s.now, expires_at: s.expiresAt }).execute();
}

/** The live session's user and company, by the token's digest; undefined when unknown, expired or the user is deactivated. */
export async function findSessionUser(
  db: Kysely<Database>,
  tokenDigest: string,
  now: string,
): Promise<{ user: UserRow; companyCode: string; expiresAt: string } | undefined> {
  const row = await db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .innerJoin('companies as c', 'c.id', 'u.company_id')
    .selectAll('u')
    .select(['c.code as company_code', 's.expires_at as session_expires_at'])
    .where('s.token_digest', '=', tokenDigest)
    .where('s.expires_at', '>', now)
    .where('u.active', '=', 1)
    .executeTakeFirst();
  if (!row) return undefined;
  const { company_code, session_expires_at, ...user } = row;
  return { user, companyCode: company_code, expiresAt: session_expires_at };
}

export async function deleteUserSessions(db: Kysely<Database>, userId: number): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}

/** Housekeeping: every session that expired before `before`. */
export async function purgeExpiredSessions(db: Kysely<Database>, before: string): Promise<number> {
  const res = await db.deleteFrom('sessions').where('expires_at', '<=', before).executeTakeFirst();
  return Number(res.numDeletedRows);
}
