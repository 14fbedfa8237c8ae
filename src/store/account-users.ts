/** Memberships of users in accounts, with a role. One row per (account, user). */
import type { Insertable, Kysely } from 'kysely';
import type { AccountRole, AccountUserRow, AccountUsersTable, Database } from './schema.js';

export type NewAccountUser = Omit<Insertable<AccountUsersTable>, 'id'>;

export async function listAccountUsers(db: Kysely<Database>, accountId: number): Promise<AccountUserRow[]> {
  return db.selectFrom('account_users').selectAll().where('account_id', '=', accountId).orderBy('id').execute();
}

/**
 * Creates the membership unless the user is already a member (the unique index on (account, user)
 * decides between concurrent calls): the new row, or undefined when there was one. A foreign key
 * violation means the account or the user was deleted meanwhile.
 */
export async function insertAccountUserIfAbsent(db: Kysely<Database>, row: NewAccountUser): Promise<AccountUserRow | undefined> {
  return db
    .insertInto('account_users')
    .values(row)
    .onConflict((oc) => oc.columns(['account_id', 'user_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** Sets a member's role when it differs: the changed row, or undefined when there was nothing to change. */
export async function changeAccountUserRole(
  db: Kysely<Database>,
  accountId: number,
  userId: number,
  role: AccountRole,
  now: string,
): Promise<AccountUserRow | undefined> {
  return db
    .updateTable('account_users')
    .set({ role, updated_at: now })
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .where('role', '<>', role)
    .returningAll()
    .executeTakeFirst();
}

export async function findAccountUser(db: Kysely<Database>, accountId: number, userId: number): Promise<AccountUserRow | undefined> {
  return db.selectFrom('account_users').selectAll().where('account_id', '=', accountId).where('user_id', '=', userId).executeTakeFirst();
}

/** Removes the membership if there is one: the removed row. */
export async function deleteAccountUser(db: Kysely<Database>, accountId: number, userId: number): Promise<AccountUserRow | undefined> {
  return db.deleteFrom('account_users').where('account_id', '=', accountId).where('user_id', '=', userId).returningAll().executeTakeFirst();
}

export interface Membership {
  account_id: number;
  account_name: string;
  role: AccountRole;
  active_at: string | null;
}

/** A user's memberships with their accounts' names, oldest first. */
export async function membershipsOfUser(db: Kysely<Database>, userId: number): Promise<Membership[]> {
  return db
    .selectFrom('account_users as m')
    .innerJoin('accounts as a', 'a.id', 'm.account_id')
    .select(['m.account_id', 'a.name as account_name', 'm.role', 'm.active_at'])
    .where('m.user_id', '=', userId)
    .orderBy('m.id')
    .execute();
}
