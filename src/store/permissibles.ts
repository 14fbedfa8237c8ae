/** What each platform app may touch: the accounts, users and agent bots it created or linked. */
import type { Kysely } from 'kysely';
import type { Database, PermissibleType } from './schema.js';

export interface Target {
  companyId: number;
  /** The calling app holds a permissible row for it. */
  permitted: boolean;
}

const owners: Record<PermissibleType, (db: Kysely<Database>, id: number) => Promise<{ company_id: number } | undefined>> = {
  Account: (db, id) => db.selectFrom('accounts').select('company_id').where('id', '=', id).executeTakeFirst(),
  User: (db, id) => db.selectFrom('users').select('company_id').where('id', '=', id).executeTakeFirst(),
  AgentBot: (db, id) => db.selectFrom('agent_bots').select('company_id').where('id', '=', id).executeTakeFirst(),
};

/** The record's company and whether the app may touch it; undefined when there is no such record. */
export async function findTarget(db: Kysely<Database>, appId: string, type: PermissibleType, id: number): Promise<Target | undefined> {
  const owner = await owners[type](db, id);
  if (!owner) return undefined;
  return { companyId: owner.company_id, permitted: await isPermitted(db, appId, type, id) };
}

export async function isPermitted(db: Kysely<Database>, appId: string, type: PermissibleType, id: number): Promise<boolean> {
  const row = await db
    .selectFrom('platform_app_permissibles')
    .select('id')
    .where('platform_app_id', '=', appId)
    .where('permissible_type', '=', type)
    .where('permissible_id', '=', id)
    .executeTakeFirst();
  return row !== undefined;
}

/** Links a record to an app; a link that exists already is kept (the unique index decides). */
export async function link(db: Kysely<Database>, appId: string, type: PermissibleType, id: number, now: string): Promise<void> {
  await db
    .insertInto('platform_app_permissibles')
    .values({ platform_app_id: appId, permissible_type: type, permissible_id: id, created_at: now })
    .onConflict((oc) => oc.columns(['platform_app_id', 'permissible_type', 'permissible_id']).doNothing())
    .execute();
}

/** Forgets every app's link to these records (they are being deleted). */
export async function unlinkAll(db: Kysely<Database>, type: PermissibleType, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.deleteFrom('platform_app_permissibles').where('permissible_type', '=', type).where('permissible_id', 'in', ids).execute();
}
