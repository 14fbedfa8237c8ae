/** Chatwoot accounts (workspaces). */
import type { Kysely, Updateable } from 'kysely';
import { forUpdate } from './transaction.js';
import type { AccountRow, AccountsTable, Database, NewAccount } from './schema.js';

/** Inserts an account. */
export async function insertAccount(db: Kysely<Database>, account: NewAccount): Promise<AccountRow> {
  return db.insertInto('accounts').values(account).returningAll().executeTakeFirstOrThrow();
}

export async function findAccount(db: Kysely<Database>, id: number): Promise<AccountRow | undefined> {
  return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The accounts a platform app may touch, oldest first. */
export async function listAccountsForApp(db: Kysely<Database>, appId: string, companyId: number): Promise<AccountRow[]> {
  return db
    .selectFrom('accounts as a')
    .innerJoin('platform_app_permissibles as p', (j) =>
      j.onRef('p.permissible_id', '=', 'a.id').on('p.permissible_type', '=', 'Account').on('p.platform_app_id', '=', appId),
    )
    .selectAll('a')
    .where('a.company_id', '=', companyId)
    .orderBy('a.id')
    .execute();
}

export type AccountPatch = Omit<Updateable<AccountsTable>, 'id' | 'company_id' | 'created_at'>;

/** The account, locked until the transaction ends (see forUpdate). */
export async function findAccountForUpdate(trx: Kysely<Database>, id: number): Promise<AccountRow | undefined> {
  return forUpdate(trx, trx.selectFrom('accounts').selectAll().where('id', '=', id)).executeTakeFirst();
}

export async function updateAccount(db: Kysely<Database>, id: number, patch: AccountPatch): Promise<AccountRow | undefined> {
  return db.updateTable('accounts').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
}

/** Deletes an account; its memberships and agent bots go with it (foreign keys cascade). */
export async function deleteAccount(db: Kysely<Database>, id: number): Promise<boolean> {
  const res = await db.deleteFrom('accounts').where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export async function agentBotIdsOfAccount(db: Kysely<Database>, id: number): Promise<number[]> {
  return (await db.selectFrom('agent_bots').select('id').where('account_id', '=', id).execute()).map((b) => b.id);
}
