import { sql, type Kysely } from 'kysely';
import type { DbKind } from './db.js';
import { isForeignKeyViolation } from './errors.js';
import type { Database, UserRow } from './schema.js';

export interface NewSession {
  tokenDigest: string;
  userId: number;
  /** The user's credential_version read with the password hash that was checked. */
  credentialVersion: number;
  now: string;
  expiresAt: string;
}

/**
 * Opens a session only if the user still exists and their credentials are the ones the login
 * checked (credential_version has not moved): one statement, INSERT ... SELECT from the user's
 * row. On PostgreSQL the row is read FOR SHARE, so a password change, email change or deletion in
 * flight is waited for and then seen (never a session that outlives it, never a foreign key
 * error). False when no session was opened.
 */
export async function insertSession(db: Kysely<Database>, kind: DbKind, s: NewSession): Promise<boolean> {
  const text = (v: string) => sql<string>`cast(${v} as text)`;
  try {
    const res = await db
      .insertInto('sessions')
      .columns(['token_digest', 'user_id', 'created_at', 'expires_at'])
      .expression(
        db
          .selectFrom('users')
          .select([text(s.tokenDigest).as('token_digest'), 'id', text(s.now).as('created_at'), text(s.expiresAt).as('expires_at')])
          .where('id', '=', s.userId)
          .where('credential_version', '=', s.credentialVersion)
          .$if(kind === 'postgres', (q) => q.forShare()),
      )
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  } catch (err) {
    // The user went away between the read and the insert: no session, as for a deleted user.
    if (isForeignKeyViolation(err)) return false;
    throw err;
  }
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
