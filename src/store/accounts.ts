/** Chatwoot accounts (workspaces). */
import type { Kysely, Updateable } from 'kysely';
import type { Db } from './db.js';
import { link, unlinkAll } from './permissibles.js';
import type { AccountRow, AccountsTable, Database, NewAccount } from './schema.js';

/** Inserts an account and links it to the platform app that created it, in one transaction. */
export async function insertAccount(db: Kysely<Database>, account: NewAccount, appId: string): Promise<AccountRow> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.insertInto('accounts').values(account).returningAll().executeTakeFirstOrThrow();
    await link(trx, appId, 'Account', row.id, account.created_at);
    return row;
  });
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

/**
 * Reads the account, computes the change from it and writes it in one transaction, with the row
 * locked on PostgreSQL (SQLite runs one write transaction at a time), so two concurrent updates of
 * the feature flags both land. undefined when there is no such account.
 */
export async function updateAccountWith(store: Db, id: number, change: (current: AccountRow) => AccountPatch): Promise<AccountRow | undefined> {
  return store.db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', id)
      .$if(store.kind === 'postgres', (q) => q.forUpdate())
      .executeTakeFirst();
    if (!current) return undefined;
    return trx.updateTable('accounts').set(change(current)).where('id', '=', id).returningAll().executeTakeFirst();
  });
}

/**
 * Deletes an account with its memberships and agent bots (foreign keys cascade), and every app's
 * links to them. False when there was no such account.
 */
export async function deleteAccount(db: Kysely<Database>, id: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const bots = await trx.selectFrom('agent_bots').select('id').where('account_id', '=', id).execute();
    await unlinkAll(
      trx,
      'AgentBot',
      bots.map((b) => b.id),
    );
    await unlinkAll(trx, 'Account', [id]);
    const res = await trx.deleteFrom('accounts').where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  });
}
