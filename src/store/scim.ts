/**
 * The queries SCIM needs beyond the users and accounts modules: everything scoped to one company,
 * lookups by the attributes a SCIM filter names (userName, externalId, email, member), pages in id
 * order for bounded scans, and a group's members with the names they are shown with.
 */
import type { Kysely } from 'kysely';
import type { AccountRow, AccountUserRow, Database, UserRow } from './schema.js';
import { forUpdate } from './transaction.js';

// ---------------------------------------------------------------- users

export async function findCompanyUser(db: Kysely<Database>, companyId: number, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('company_id', '=', companyId).where('id', '=', id).executeTakeFirst();
}

/** The user, locked until the transaction ends (see forUpdate). */
export async function findCompanyUserForUpdate(trx: Kysely<Database>, companyId: number, id: number): Promise<UserRow | undefined> {
  return forUpdate(trx, trx.selectFrom('users').selectAll().where('company_id', '=', companyId).where('id', '=', id)).executeTakeFirst();
}

/** The company's users whose userName is `key` (lower-cased): a SCIM userName, or the email of a user without one. */
export async function findCompanyUsersByUserName(db: Kysely<Database>, companyId: number, key: string): Promise<UserRow[]> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('company_id', '=', companyId)
    .where((eb) => eb.or([eb('user_name_key', '=', key), eb.and([eb('user_name_key', 'is', null), eb('email', '=', key)])]))
    .orderBy('id')
    .execute();
}

/** Whether another user of the company (not `exceptId`) has this userName (lower-cased). */
export async function userNameTaken(db: Kysely<Database>, companyId: number, key: string, exceptId: number | null): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where('company_id', '=', companyId)
    .where((eb) => eb.or([eb('user_name_key', '=', key), eb.and([eb('user_name_key', 'is', null), eb('email', '=', key)])]))
    .$if(exceptId !== null, (q) => q.where('id', '<>', exceptId!))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function findCompanyUsersByExternalId(db: Kysely<Database>, companyId: number, externalId: string): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().where('company_id', '=', companyId).where('external_id', '=', externalId).orderBy('id').execute();
}

export async function findCompanyUsersByEmail(db: Kysely<Database>, companyId: number, email: string): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().where('company_id', '=', companyId).where('email', '=', email).execute();
}

export async function findCompanyUsersByIds(db: Kysely<Database>, companyId: number, ids: readonly number[]): Promise<UserRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('users')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('id', 'in', [...ids])
    .execute();
}

/** The company's users after `afterId`, in id order: one page of a bounded scan. */
export async function listCompanyUsersAfter(db: Kysely<Database>, companyId: number, afterId: number, limit: number): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().where('company_id', '=', companyId).where('id', '>', afterId).orderBy('id').limit(limit).execute();
}

/** The company's users in id order, `offset` skipped. */
export async function listCompanyUsersPage(db: Kysely<Database>, companyId: number, offset: number, limit: number): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().where('company_id', '=', companyId).orderBy('id').limit(limit).offset(offset).execute();
}

export async function countCompanyUsers(db: Kysely<Database>, companyId: number): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('company_id', '=', companyId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

// ---------------------------------------------------------------- accounts (SCIM Groups)

export async function findCompanyAccount(db: Kysely<Database>, companyId: number, id: number): Promise<AccountRow | undefined> {
  return db.selectFrom('accounts').selectAll().where('company_id', '=', companyId).where('id', '=', id).executeTakeFirst();
}

/** The account, locked until the transaction ends (see forUpdate). */
export async function findCompanyAccountForUpdate(trx: Kysely<Database>, companyId: number, id: number): Promise<AccountRow | undefined> {
  return forUpdate(trx, trx.selectFrom('accounts').selectAll().where('company_id', '=', companyId).where('id', '=', id)).executeTakeFirst();
}

export async function findCompanyAccountsByIds(db: Kysely<Database>, companyId: number, ids: readonly number[]): Promise<AccountRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('accounts')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('id', 'in', [...ids])
    .execute();
}

export async function findCompanyAccountsByExternalId(db: Kysely<Database>, companyId: number, externalId: string): Promise<AccountRow[]> {
  return db.selectFrom('accounts').selectAll().where('company_id', '=', companyId).where('external_id', '=', externalId).orderBy('id').execute();
}

/** The company's accounts that have this user as a member. */
export async function findCompanyAccountsWithMember(db: Kysely<Database>, companyId: number, userId: number): Promise<AccountRow[]> {
  return db
    .selectFrom('accounts as a')
    .innerJoin('account_users as m', 'm.account_id', 'a.id')
    .selectAll('a')
    .where('a.company_id', '=', companyId)
    .where('m.user_id', '=', userId)
    .orderBy('a.id')
    .execute();
}

export async function listCompanyAccountsAfter(db: Kysely<Database>, companyId: number, afterId: number, limit: number): Promise<AccountRow[]> {
  return db.selectFrom('accounts').selectAll().where('company_id', '=', companyId).where('id', '>', afterId).orderBy('id').limit(limit).execute();
}

export async function listCompanyAccountsPage(db: Kysely<Database>, companyId: number, offset: number, limit: number): Promise<AccountRow[]> {
  return db.selectFrom('accounts').selectAll().where('company_id', '=', companyId).orderBy('id').limit(limit).offset(offset).execute();
}

export async function countCompanyAccounts(db: Kysely<Database>, companyId: number): Promise<number> {
  const row = await db
    .selectFrom('accounts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('company_id', '=', companyId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface MemberRow {
  account_id: number;
  user_id: number;
  name: string;
  display_name: string | null;
}

/** The members of these accounts, with the names they are shown with, in the order they joined. */
export async function membersOfAccounts(db: Kysely<Database>, accountIds: readonly number[]): Promise<MemberRow[]> {
  if (accountIds.length === 0) return [];
  return db
    .selectFrom('account_users as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.account_id', 'm.user_id', 'u.name', 'u.display_name'])
    .where('m.account_id', 'in', [...accountIds])
    .orderBy('m.id')
    .execute();
}

export interface MembershipStamp {
  account_id: number;
  /** How many members, the sum and largest of their membership ids, and their latest change. */
  n: number;
  id_sum: string;
  id_max: number | null;
  changed: string | null;
}

/**
 * A stamp of each account's membership that changes whenever a member joins, leaves or changes role
 * (membership ids are never reused), for a Group's version without loading its members.
 */
export async function membershipStamps(db: Kysely<Database>, accountIds: readonly number[]): Promise<MembershipStamp[]> {
  if (accountIds.length === 0) return [];
  const rows = await db
    .selectFrom('account_users')
    .select((eb) => [
      'account_id',
      eb.fn.countAll<number>().as('n'),
      eb.fn.sum<number>('id').as('id_sum'),
      eb.fn.max('id').as('id_max'),
      eb.fn.max('updated_at').as('changed'),
    ])
    .where('account_id', 'in', [...accountIds])
    .groupBy('account_id')
    .execute();
  return rows.map((r) => ({ account_id: r.account_id, n: Number(r.n), id_sum: String(r.id_sum), id_max: r.id_max, changed: r.changed }));
}

/** The memberships of these users in the account. */
export async function membershipsOf(
  db: Kysely<Database>,
  accountId: number,
  userIds: readonly number[],
): Promise<Pick<AccountUserRow, 'id' | 'user_id' | 'role'>[]> {
  if (userIds.length === 0) return [];
  return db
    .selectFrom('account_users')
    .select(['id', 'user_id', 'role'])
    .where('account_id', '=', accountId)
    .where('user_id', 'in', [...userIds])
    .orderBy('id')
    .execute();
}

/** Removes these users from the account. */
export async function deleteAccountUsers(db: Kysely<Database>, accountId: number, userIds: readonly number[]): Promise<void> {
  if (userIds.length === 0) return;
  await db
    .deleteFrom('account_users')
    .where('account_id', '=', accountId)
    .where('user_id', 'in', [...userIds])
    .execute();
}
