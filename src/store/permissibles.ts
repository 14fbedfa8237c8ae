/** What each platform app may touch: the accounts, users and agent bots it created or linked. */
import type { Kysely } from 'kysely';
import type { Database, PermissibleType } from './schema.js';

export interface Target {
  companyId: number;
  /** The calling app holds a permissible row for it. */
  permitted: boolean;
}

// The three tables share what is read here (id, company_id): typed below as one of them.
const TABLES = { Account: 'accounts', User: 'users', AgentBot: 'agent_bots' } as const satisfies Record<PermissibleType, string>;

/**
 * The record's company and whether the app may touch it; undefined when there is no such record.
 * One statement: the record and the app's link to it are read together, so a delete that removes
 * both can never be seen half done (a record without its link, a 401 where a 404 is due).
 */
export async function findTarget(db: Kysely<Database>, appId: string, type: PermissibleType, id: number): Promise<Target | undefined> {
  const row = await db
    .selectFrom(TABLES[type] as 'accounts')
    .select((eb) => [
      'company_id',
      eb
        .exists(
          eb
            .selectFrom('platform_app_permissibles')
            .select('platform_app_permissibles.id')
            .where('platform_app_id', '=', appId)
            .where('permissible_type', '=', type)
            .where('permissible_id', '=', id),
        )
        .as('permitted'),
    ])
    .where(`${TABLES[type] as 'accounts'}.id`, '=', id)
    .executeTakeFirst();
  // PostgreSQL answers EXISTS as a boolean, SQLite as 0 or 1.
  return row && { companyId: row.company_id, permitted: Boolean(row.permitted) };
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
