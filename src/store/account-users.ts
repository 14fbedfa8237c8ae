/** Memberships of users in accounts, with a role. One row per (account, user). */
import { sql, type Insertable, type Kysely } from 'kysely';
import type { AccountRole, AccountUserRow, AccountUsersTable, Database } from './schema.js';

export type NewAccountUser = Omit<Insertable<AccountUsersTable>, 'id'>;

export async function listAccountUsers(db: Kysely<Database>, accountId: number): Promise<AccountUserRow[]> {
  return db.selectFrom('account_users').selectAll().where('account_id', '=', accountId).orderBy('id').execute();
}

/**
 * Finds or creates the membership in one statement: the unique index on (account, user) decides
 * between concurrent calls, which all end on the same row. With `setRole`, an existing row takes the
 * new row's role; otherwise it keeps its own. A foreign key violation means the account or the user
 * was deleted meanwhile.
 */
export async function upsertAccountUser(db: Kysely<Database>, row: NewAccountUser, opts: { setRole: boolean }): Promise<AccountUserRow> {
  const inserted = await db
    .insertInto('account_users')
    .values(row)
    .onConflict((oc) => {
      const target = oc.columns(['account_id', 'user_id']);
      return opts.setRole
        ? target.doUpdateSet({
            role: (eb) => eb.ref('excluded.role'),
            // updated_at moves only when the role changes.
            updated_at: sql<string>`case when account_users.role = excluded.role then account_users.updated_at else excluded.updated_at end`,
          })
        : target.doNothing();
    })
    .returningAll()
    .executeTakeFirst();
  if (inserted) return inserted;
  return db.selectFrom('account_users').selectAll().where('account_id', '=', row.account_id).where('user_id', '=', row.user_id).executeTakeFirstOrThrow();
}

/** Removes the membership if there is one. */
export async function deleteAccountUser(db: Kysely<Database>, accountId: number, userId: number): Promise<void> {
  await db.deleteFrom('account_users').where('account_id', '=', accountId).where('user_id', '=', userId).execute();
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
