import type { Kysely, Updateable } from 'kysely';
import { precompile, type MissingColumns } from './precompile.js';
import type { SyncTrx } from './sync.js';
import type { Database, NewUser, UserRow, UsersTable } from './schema.js';
import { forUpdate } from './transaction.js';

/** The columns every new user is given (identity/users.ts newUserRow); the others keep their defaults. */
export const BASE_USER_COLUMNS = [
  'company_id',
  'email',
  'name',
  'last_name',
  'display_name',
  'password_hash',
  'email_verified_at',
  'default_start_week',
  'is_external_creation',
  'custom_attributes',
  'ui_settings',
  'message_signature',
  'pubsub_token_digest',
  'created_via',
  'created_at',
  'updated_at',
] as const;

/**
 * A new user with exactly the base columns, each given (null where empty). Any other column is
 * refused at compile time: insertBaseUser's statement binds only these, and would drop it.
 */
export type BaseNewUser = { [K in (typeof BASE_USER_COLUMNS)[number]]-?: Exclude<NewUser[K], undefined> } & {
  [K in Exclude<keyof NewUser, (typeof BASE_USER_COLUMNS)[number]>]?: never;
};

/**
 * Every column of users, by name, for the precompiled statements that return a whole user: on
 * PostgreSQL a prepared `RETURNING *` changes its result's shape when a migration adds a column,
 * and the server then refuses it ("cached plan must not change result type"); a named list
 * does not change.
 */
const USER_COLUMNS = [
  'id',
  ...BASE_USER_COLUMNS,
  'credential_version',
  'active',
  'user_name',
  'user_name_key',
  'external_id',
  'name_formatted',
  'email_type',
  'employee_number',
  'department',
  'manager_id',
  'pubsub_token_sealed',
  'avatar_url',
] as const satisfies readonly (keyof UsersTable)[];
/** Compile-time: USER_COLUMNS names every column of users (a new column must be added to it). */
const _everyUserColumn: MissingColumns<UsersTable, typeof USER_COLUMNS> extends never ? true : never = true;

/**
 * A base user's insert, compiled once (precompile.ts; a named statement on PostgreSQL): a Plazbot
 * sign-up's one write besides its event, built per request otherwise (issue 15). `ON CONFLICT DO
 * NOTHING`: the unique index on email decides a race.
 */
const insertBaseUserStatement = precompile(BASE_USER_COLUMNS, (db, p) =>
  db
    .insertInto('users')
    .values(p as unknown as BaseNewUser)
    .onConflict((oc) => oc.column('email').doNothing())
    .returning(USER_COLUMNS),
);

/** insertUser for a row of the base columns, on the precompiled statement. */
export async function insertBaseUser(db: Kysely<Database>, user: BaseNewUser): Promise<UserRow | undefined> {
  return (await insertBaseUserStatement(db, user))[0];
}

/** insertBaseUser in a synchronous SQLite transaction (sync.ts). */
export function insertBaseUserSync(trx: SyncTrx, user: BaseNewUser): UserRow | undefined {
  return trx.all(insertBaseUserStatement.query(trx.kysely, user))[0];
}

/** Inserts a user; undefined when the email is taken (the unique index decides, race-free). */
export async function insertUser(db: Kysely<Database>, user: NewUser): Promise<UserRow | undefined> {
  return db
    .insertInto('users')
    .values(user)
    .onConflict((oc) => oc.column('email').doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function findUserByEmail(db: Kysely<Database>, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function findUserById(db: Kysely<Database>, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The user, locked until the transaction ends (see forUpdate): read, then write, without losing a concurrent change. */
export async function findUserForUpdate(trx: Kysely<Database>, id: number): Promise<UserRow | undefined> {
  return forUpdate(trx, trx.selectFrom('users').selectAll().where('id', '=', id)).executeTakeFirst();
}

export async function deleteUser(db: Kysely<Database>, id: number): Promise<boolean> {
  const res = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export type UserPatch = Omit<Updateable<UsersTable>, 'id' | 'created_at' | 'created_via'>;

/**
 * Updates a user; undefined when there is no such user. An email change that collides with
 * another user raises the store's unique violation (see store/errors.ts isUniqueViolation).
 */
export async function updateUser(db: Kysely<Database>, id: number, patch: UserPatch): Promise<UserRow | undefined> {
  return db.updateTable('users').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
}

/**
 * Replaces a user's password hash only if the stored one is still `expected` (a conditional
 * UPDATE: a password changed meanwhile is never overwritten). True when it was replaced.
 */
export async function replacePasswordHash(db: Kysely<Database>, id: number, expected: string, next: string): Promise<boolean> {
  const res = await db.updateTable('users').set({ password_hash: next }).where('id', '=', id).where('password_hash', '=', expected).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** A change of password or email: sessions are opened only against the new version. */
export async function bumpCredentialVersion(db: Kysely<Database>, id: number): Promise<void> {
  await db
    .updateTable('users')
    .set((eb) => ({ credential_version: eb('credential_version', '+', 1) }))
    .where('id', '=', id)
    .execute();
}
