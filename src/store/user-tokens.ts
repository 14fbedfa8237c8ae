/** What the Chatwoot Platform API keeps about users beyond the users table: access tokens and login tokens. */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface NewTokenDigest {
  id: string;
  digest: string;
  /** The whole token, sealed (infra/secret-box.ts). */
  sealed: string;
}

export async function insertUserAccessToken(db: Kysely<Database>, userId: number, token: NewTokenDigest, now: string): Promise<void> {
  await db
    .insertInto('user_access_tokens')
    .values({ id: token.id, user_id: userId, secret_digest: token.digest, token_sealed: token.sealed, created_at: now })
    .execute();
}

/** Sets the user's one access token, replacing the one they had. */
export async function replaceUserAccessToken(db: Kysely<Database>, userId: number, token: NewTokenDigest, now: string): Promise<void> {
  await db
    .insertInto('user_access_tokens')
    .values({ id: token.id, user_id: userId, secret_digest: token.digest, token_sealed: token.sealed, created_at: now })
    .onConflict((oc) =>
      oc.column('user_id').doUpdateSet({
        id: (eb) => eb.ref('excluded.id'),
        secret_digest: (eb) => eb.ref('excluded.secret_digest'),
        token_sealed: (eb) => eb.ref('excluded.token_sealed'),
        created_at: (eb) => eb.ref('excluded.created_at'),
      }),
    )
    .execute();
}

/** The user's access token, sealed; undefined without one, null when it is kept as a digest only. */
export async function findSealedAccessToken(db: Kysely<Database>, userId: number): Promise<string | null | undefined> {
  const row = await db.selectFrom('user_access_tokens').select('token_sealed').where('user_id', '=', userId).executeTakeFirst();
  return row?.token_sealed;
}

/** Sets the user's pubsub token (digest and sealed). False when there is no such user. */
export async function setPubsubToken(db: Kysely<Database>, userId: number, pubsub: { digest: string; sealed: string }): Promise<boolean> {
  const res = await db
    .updateTable('users')
    .set({ pubsub_token_digest: pubsub.digest, pubsub_token_sealed: pubsub.sealed })
    .where('id', '=', userId)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** A live token's user and digest; a deactivated user's token is as unknown as a deleted one. */
export async function findUserAccessToken(db: Kysely<Database>, tokenId: string): Promise<{ user_id: number; secret_digest: string } | undefined> {
  return db
    .selectFrom('user_access_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.user_id', 't.secret_digest'])
    .where('t.id', '=', tokenId)
    .where('u.active', '=', 1)
    .executeTakeFirst();
}

export async function deleteExpiredSsoTokens(db: Kysely<Database>, userId: number, now: string): Promise<void> {
  await db.deleteFrom('sso_login_tokens').where('user_id', '=', userId).where('expires_at', '<=', now).execute();
}

/** Deletes every login token of the user. */
export async function deleteSsoTokens(db: Kysely<Database>, userId: number): Promise<void> {
  await db.deleteFrom('sso_login_tokens').where('user_id', '=', userId).execute();
}

/** Deletes the user's login tokens except their `keep` newest. */
export async function keepNewestSsoTokens(db: Kysely<Database>, userId: number, keep: number): Promise<void> {
  const newest = db.selectFrom('sso_login_tokens').select('digest').where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('digest').limit(keep);
  await db
    .deleteFrom('sso_login_tokens')
    .where('user_id', '=', userId)
    .$if(keep > 0, (q) => q.where('digest', 'not in', newest))
    .execute();
}

export async function insertSsoToken(db: Kysely<Database>, t: { digest: string; userId: number; expiresAt: string; now: string }): Promise<void> {
  await db.insertInto('sso_login_tokens').values({ digest: t.digest, user_id: t.userId, expires_at: t.expiresAt, created_at: t.now }).execute();
}

/**
 * Uses up a login token: deletes it when it is the user's and still live, in one statement, so a
 * token works exactly once even under concurrent redemptions. True when it was redeemed.
 */
export async function consumeSsoToken(db: Kysely<Database>, digest: string, userId: number, now: string): Promise<boolean> {
  const res = await db
    .deleteFrom('sso_login_tokens')
    .where('digest', '=', digest)
    .where('user_id', '=', userId)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
