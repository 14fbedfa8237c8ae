import type { Kysely } from 'kysely';
import type { Database, EmailTokenPurpose, EmailTokenRow } from './schema.js';

export async function insertEmailToken(
  db: Kysely<Database>,
  t: { tokenDigest: string; purpose: EmailTokenPurpose; userId: number; now: string; expiresAt: string },
): Promise<void> {
  await db
    .insertInto('email_tokens')
    .values({ token_digest: t.tokenDigest, purpose: t.purpose, user_id: t.userId, created_at: t.now, expires_at: t.expiresAt, used_at: null })
    .execute();
}

export async function findEmailToken(db: Kysely<Database>, tokenDigest: string, purpose: EmailTokenPurpose): Promise<EmailTokenRow | undefined> {
  return db.selectFrom('email_tokens').selectAll().where('token_digest', '=', tokenDigest).where('purpose', '=', purpose).executeTakeFirst();
}

/**
 * Marks a live token used and returns it; undefined when it is unknown, used, expired, or (with
 * userId) another user's. The single UPDATE decides races: one caller wins.
 */
export async function consumeEmailToken(
  db: Kysely<Database>,
  t: { tokenDigest: string; purpose: EmailTokenPurpose; now: string; userId?: number },
): Promise<EmailTokenRow | undefined> {
  let q = db
    .updateTable('email_tokens')
    .set({ used_at: t.now })
    .where('token_digest', '=', t.tokenDigest)
    .where('purpose', '=', t.purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', t.now);
  if (t.userId !== undefined) q = q.where('user_id', '=', t.userId);
  return q.returningAll().executeTakeFirst();
}

/** Retires every other live token of a purpose (after a reset, older codes stop working). */
export async function retireEmailTokens(db: Kysely<Database>, userId: number, purpose: EmailTokenPurpose, now: string): Promise<void> {
  await db
    .updateTable('email_tokens')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .execute();
}

/** Whether the user has a live (unused, unexpired) token of this purpose. */
export async function hasLiveEmailToken(db: Kysely<Database>, userId: number, purpose: EmailTokenPurpose, now: string): Promise<boolean> {
  const row = await db
    .selectFrom('email_tokens')
    .select('token_digest')
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Housekeeping: every token that expired, or was used, before `before`. */
export async function purgeStaleEmailTokens(db: Kysely<Database>, before: string): Promise<number> {
  const res = await db
    .deleteFrom('email_tokens')
    .where((eb) => eb.or([eb('expires_at', '<=', before), eb('used_at', '<=', before)]))
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
