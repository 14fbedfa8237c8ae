/** Memberships of users in accounts, with a role. One row per (account, user). */
import { sql, type Kysely } from 'kysely';
import type { AccountRole, AccountUserRow, Database } from './schema.js';

export async function listAccountUsers(db: Kysely<Database>, accountId: number): Promise<AccountUserRow[]> {
  return db.selectFrom('account_users').selectAll().where('account_id', '=', accountId).orderBy('id').execute();
}

/**
 * Finds or creates the membership, then sets its role, in one statement: the unique index on
 * (account, user) decides between concurrent calls, which all end on the same row. Without a role,
 * a new row gets `agent` and an existing row keeps its role. A foreign key violation means the
 * account or the user was deleted meanwhile.
 */
export async function upsertAccountUser(
  db: Kysely<Database>,
  m: { accountId: number; userId: number; role: AccountRole | undefined; now: string },
): Promise<AccountUserRow> {
  const values = {
    account_id: m.accountId,
    user_id: m.userId,
    role: m.role ?? 'agent',
    inviter_id: null,
    availability: 'online',
    auto_offline: 1,
    active_at: null,
    created_at: m.now,
    updated_at: m.now,
  };
  const row = await db
    .insertInto('account_users')
    .values(values)
    .onConflict((oc) => {
      const target = oc.columns(['account_id', 'user_id']);
      return m.role === undefined
        ? target.doNothing()
        : target.doUpdateSet({
            role: (eb) => eb.ref('excluded.role'),
            // updated_at moves only when the role changes.
            updated_at: sql<string>`case when account_users.role = excluded.role then account_users.updated_at else excluded.updated_at end`,
          });
    })
    .returningAll()
    .executeTakeFirst();
  if (row) return row;
  return db.selectFrom('account_users').selectAll().where('account_id', '=', m.accountId).where('user_id', '=', m.userId).executeTakeFirstOrThrow();
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
