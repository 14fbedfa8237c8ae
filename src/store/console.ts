/** What the admin console reads that no API does: searches across companies, counts, a user's sessions and memberships. */
import { sql, type Kysely } from 'kysely';
import type { Database, UserRow, WidgetUserRow, RoomRow } from './schema.js';

/** `%text%` for LIKE, with LIKE's own wildcards taken literally; in NFC, the form emails are stored in. */
const contains = (text: string) =>
  `%${text
    .toLowerCase()
    .normalize('NFC')
    .replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export type UserHit = UserRow & { company_code: string };

/** Users whose email or name (first, last or display) contains `text`, optionally of one company, newest first. */
export async function searchUsers(db: Kysely<Database>, q: { text: string; companyId?: number; limit: number; offset: number }): Promise<UserHit[]> {
  const like = contains(q.text);
  return db
    .selectFrom('users')
    .innerJoin('companies', 'companies.id', 'users.company_id')
    .selectAll('users')
    .select('companies.code as company_code')
    .$if(q.text !== '', (b) =>
      b.where((eb) =>
        eb.or([
          eb(sql`lower(users.email)`, 'like', sql`${like} escape '\\'`),
          eb(sql`lower(users.name)`, 'like', sql`${like} escape '\\'`),
          eb(sql`lower(coalesce(users.last_name, ''))`, 'like', sql`${like} escape '\\'`),
          eb(sql`lower(coalesce(users.display_name, ''))`, 'like', sql`${like} escape '\\'`),
        ]),
      ),
    )
    .$if(q.companyId !== undefined, (b) => b.where('users.company_id', '=', q.companyId!))
    .orderBy('users.id', 'desc')
    .limit(q.limit)
    .offset(q.offset)
    .execute();
}

export type WidgetUserHit = WidgetUserRow & { company_code: string };

/** Widget users whose external id (reference id) or name contains `text`, optionally of one company, newest first. */
export async function searchWidgetUsers(
  db: Kysely<Database>,
  q: { text: string; companyId?: number; limit: number; offset: number },
): Promise<WidgetUserHit[]> {
  const like = contains(q.text);
  return db
    .selectFrom('widget_users')
    .innerJoin('companies', 'companies.id', 'widget_users.company_id')
    .selectAll('widget_users')
    .select('companies.code as company_code')
    .$if(q.text !== '', (b) =>
      b.where((eb) =>
        eb.or([
          eb(sql`lower(widget_users.reference_id)`, 'like', sql`${like} escape '\\'`),
          eb(sql`lower(widget_users.names)`, 'like', sql`${like} escape '\\'`),
        ]),
      ),
    )
    .$if(q.companyId !== undefined, (b) => b.where('widget_users.company_id', '=', q.companyId!))
    .orderBy('widget_users.id', 'desc')
    .limit(q.limit)
    .offset(q.offset)
    .execute();
}

export async function findWidgetUser(db: Kysely<Database>, id: number): Promise<WidgetUserHit | undefined> {
  return db
    .selectFrom('widget_users')
    .innerJoin('companies', 'companies.id', 'widget_users.company_id')
    .selectAll('widget_users')
    .select('companies.code as company_code')
    .where('widget_users.id', '=', id)
    .executeTakeFirst();
}

export async function roomsOfWidgetUser(db: Kysely<Database>, widgetUserId: number): Promise<RoomRow[]> {
  return db.selectFrom('rooms').selectAll().where('widget_user_id', '=', widgetUserId).orderBy('created_at').execute();
}

export async function findUserWithCompany(db: Kysely<Database>, id: number): Promise<UserHit | undefined> {
  return db
    .selectFrom('users')
    .innerJoin('companies', 'companies.id', 'users.company_id')
    .selectAll('users')
    .select('companies.code as company_code')
    .where('users.id', '=', id)
    .executeTakeFirst();
}

export async function membershipsOfUser(db: Kysely<Database>, userId: number): Promise<Array<{ account_id: number; account_name: string; role: string }>> {
  const rows = await db
    .selectFrom('account_users')
    .innerJoin('accounts', 'accounts.id', 'account_users.account_id')
    .select(['accounts.id as account_id', 'accounts.name as account_name', 'account_users.role as role'])
    .where('account_users.user_id', '=', userId)
    .orderBy('accounts.id')
    .execute();
  return rows.map((r) => ({ ...r, account_id: Number(r.account_id) }));
}

export async function sessionsOfUser(db: Kysely<Database>, userId: number, now: string): Promise<Array<{ created_at: string; expires_at: string }>> {
  return db
    .selectFrom('sessions')
    .select(['created_at', 'expires_at'])
    .where('user_id', '=', userId)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .execute();
}

/** Rows per table, for the console's home page. */
export async function countRows(db: Kysely<Database>, table: 'companies' | 'users' | 'widget_users' | 'accounts' | 'operators' | 'events'): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface AccountHit {
  id: number;
  name: string;
  status: string;
  company_code: string;
  members: number;
}

/** Accounts (Chatwoot), optionally of one company, newest first, with their member counts. */
export async function listAccounts(db: Kysely<Database>, q: { companyId?: number; limit: number; offset: number }): Promise<AccountHit[]> {
  const rows = await db
    .selectFrom('accounts')
    .innerJoin('companies', 'companies.id', 'accounts.company_id')
    .select((eb) => [
      'accounts.id as id',
      'accounts.name as name',
      'accounts.status as status',
      'companies.code as company_code',
      eb.selectFrom('account_users').whereRef('account_users.account_id', '=', 'accounts.id').select(eb.fn.countAll<number | string>().as('n')).as('members'),
    ])
    .$if(q.companyId !== undefined, (b) => b.where('accounts.company_id', '=', q.companyId!))
    .orderBy('accounts.id', 'desc')
    .limit(q.limit)
    .offset(q.offset)
    .execute();
  return rows.map((r) => ({ ...r, id: Number(r.id), members: Number(r.members ?? 0) }));
}

export async function membersOfAccount(
  db: Kysely<Database>,
  accountId: number,
): Promise<Array<{ user_id: number; email: string; name: string; role: string; created_at: string }>> {
  const rows = await db
    .selectFrom('account_users')
    .innerJoin('users', 'users.id', 'account_users.user_id')
    .select(['users.id as user_id', 'users.email as email', 'users.name as name', 'account_users.role as role', 'account_users.created_at as created_at'])
    .where('account_users.account_id', '=', accountId)
    .orderBy('users.email')
    .execute();
  return rows.map((r) => ({ ...r, user_id: Number(r.user_id) }));
}
