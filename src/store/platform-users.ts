/** What the Chatwoot Platform API keeps about users beyond the users table: tokens and links. */
import type { Kysely } from 'kysely';
import type { Db } from './db.js';
import { link, unlinkAll } from './permissibles.js';
import type { Database, NewUser, UserRow } from './schema.js';
import type { UserPatch } from './users.js';

export interface NewTokenDigest {
  id: string;
  digest: string;
}

/**
 * Inserts a user with their access token and links them to the platform app, in one transaction.
 * undefined when the email is taken (the unique index decides, race-free) and nothing was written.
 */
export async function insertPlatformUser(db: Kysely<Database>, user: NewUser, token: NewTokenDigest, appId: string): Promise<UserRow | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('users')
      .values(user)
      .onConflict((oc) => oc.column('email').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) return undefined;
    await trx.insertInto('user_access_tokens').values({ id: token.id, user_id: row.id, secret_digest: token.digest, created_at: user.created_at }).execute();
    await link(trx, appId, 'User', row.id, user.created_at);
    return row;
  });
}

/**
 * Reads the user, computes the change from it and writes it in one transaction (row locked on
 * PostgreSQL), so concurrent merges of custom attributes both land. undefined when there is no such
 * user; an email that collides raises the store's unique violation.
 */
export async function updateUserWith(
  store: Db,
  id: number,
  change: (current: UserRow) => UserPatch,
  then?: (trx: Kysely<Database>, before: UserRow, after: UserRow) => Promise<void>,
): Promise<UserRow | undefined> {
  return store.db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('users')
      .selectAll()
      .where('id', '=', id)
      .$if(store.kind === 'postgres', (q) => q.forUpdate())
      .executeTakeFirst();
    if (!current) return undefined;
    const updated = await trx.updateTable('users').set(change(current)).where('id', '=', id).returningAll().executeTakeFirst();
    if (updated && then) await then(trx, current, updated);
    return updated;
  });
}

/** Deletes a user with their memberships and tokens (foreign keys cascade) and every app's links. */
export async function deletePlatformUser(db: Kysely<Database>, id: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await unlinkAll(trx, 'User', [id]);
    const res = await trx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  });
}

/**
 * Replaces the user's access token and pubsub token digests in one transaction. False when there
 * is no such user.
 */
export async function rotateUserTokens(
  db: Kysely<Database>,
  userId: number,
  t: { token: NewTokenDigest; pubsubDigest: string; now: string },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const res = await trx.updateTable('users').set({ pubsub_token_digest: t.pubsubDigest }).where('id', '=', userId).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return false;
    await trx
      .insertInto('user_access_tokens')
      .values({ id: t.token.id, user_id: userId, secret_digest: t.token.digest, created_at: t.now })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({
          id: (eb) => eb.ref('excluded.id'),
          secret_digest: (eb) => eb.ref('excluded.secret_digest'),
          created_at: (eb) => eb.ref('excluded.created_at'),
        }),
      )
      .execute();
    return true;
  });
}

export async function findUserAccessToken(db: Kysely<Database>, tokenId: string): Promise<{ user_id: number; secret_digest: string } | undefined> {
  return db.selectFrom('user_access_tokens').select(['user_id', 'secret_digest']).where('id', '=', tokenId).executeTakeFirst();
}

/**
 * Stores a login token's digest, and drops the user's expired ones and all but their `keep - 1`
 * newest live ones, so that a loop of login calls cannot pile up valid tokens.
 */
export async function insertSsoToken(db: Kysely<Database>, t: { digest: string; userId: number; expiresAt: string; now: string }, keep: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('sso_login_tokens').where('user_id', '=', t.userId).where('expires_at', '<=', t.now).execute();
    const newest = await trx
      .selectFrom('sso_login_tokens')
      .select('digest')
      .where('user_id', '=', t.userId)
      .orderBy('created_at', 'desc')
      .orderBy('digest')
      .limit(keep - 1)
      .execute();
    await trx
      .deleteFrom('sso_login_tokens')
      .where('user_id', '=', t.userId)
      .$if(newest.length > 0, (q) =>
        q.where(
          'digest',
          'not in',
          newest.map((r) => r.digest),
        ),
      )
      .execute();
    await trx.insertInto('sso_login_tokens').values({ digest: t.digest, user_id: t.userId, expires_at: t.expiresAt, created_at: t.now }).execute();
  });
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
