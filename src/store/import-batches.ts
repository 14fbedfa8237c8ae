/**
 * The multi-row statements `roster import` writes and reads its batches with: users, memberships
 * and widget users (with their rooms) many at a time, rows with explicit ids, and the id sequence
 * reserved ahead of them (reserveIdsUpTo).
 *
 * Statement shapes stay few: every list is cut into chunks of the sizes in CHUNK_SIZES (largest
 * first), so a statement's SQL text, which the SQLite store prepares once and keeps for the
 * database's life (db.ts, pinnedStatements), is one of a handful per query whatever the batch size.
 * The largest chunk stays under SQLite's 32,766 bound parameters with the widest row (users, 17).
 */
import { sql, type Insertable, type Kysely } from 'kysely';
import { PostgresAdapter } from 'kysely';
import type { AccountRole, AccountRow, AccountUsersTable, Database, NewUser, RoomMembersTable, RoomsTable, UserRow, WidgetUsersTable } from './schema.js';

export const CHUNK_SIZES = [256, 64, 16, 4, 1] as const;

/** `items` cut greedily into chunks of the CHUNK_SIZES. */
export function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  let i = 0;
  for (const size of CHUNK_SIZES) {
    while (items.length - i >= size) {
      out.push(items.slice(i, i + size));
      i += size;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Users

/** The users with these (normalised) emails, whichever company they belong to. */
export async function findUsersByEmails(db: Kysely<Database>, emails: readonly string[]): Promise<UserRow[]> {
  const out: UserRow[] = [];
  for (const part of chunks(emails)) out.push(...(await db.selectFrom('users').selectAll().where('email', 'in', part).execute()));
  return out;
}

export async function findUsersByIds(db: Kysely<Database>, ids: readonly number[]): Promise<UserRow[]> {
  const out: UserRow[] = [];
  for (const part of chunks(ids)) out.push(...(await db.selectFrom('users').selectAll().where('id', 'in', part).execute()));
  return out;
}

/**
 * Inserts users (an `id` in a row is kept); a row whose email is taken is skipped (the unique
 * index decides). The ids and emails of the rows inserted.
 */
export async function insertUsers(db: Kysely<Database>, rows: readonly NewUser[]): Promise<Array<{ id: number; email: string }>> {
  const out: Array<{ id: number; email: string }> = [];
  for (const part of chunks(rows)) {
    out.push(
      ...(await db
        .insertInto('users')
        .values(part)
        .onConflict((oc) => oc.column('email').doNothing())
        .returning(['id', 'email'])
        .execute()),
    );
  }
  return out;
}

/** Of these ids, the ones a row of `table` already has. */
export async function takenIds(db: Kysely<Database>, table: 'users' | 'accounts', ids: readonly number[]): Promise<Set<number>> {
  const taken = new Set<number>();
  for (const part of chunks(ids)) {
    const rows = await db.selectFrom(table).select('id').where('id', 'in', part).execute();
    for (const r of rows) taken.add(r.id);
  }
  return taken;
}

// ---------------------------------------------------------------------------------------------
// Accounts and memberships

export interface AccountRef {
  id: number;
  name: string;
}

/** The company's accounts with these ids or these names. */
export async function findCompanyAccounts(db: Kysely<Database>, companyId: number, ids: readonly number[], names: readonly string[]): Promise<AccountRef[]> {
  const out: AccountRef[] = [];
  for (const part of chunks(ids)) {
    out.push(...(await db.selectFrom('accounts').select(['id', 'name']).where('company_id', '=', companyId).where('id', 'in', part).execute()));
  }
  for (const part of chunks(names)) {
    out.push(...(await db.selectFrom('accounts').select(['id', 'name']).where('company_id', '=', companyId).where('name', 'in', part).execute()));
  }
  return out;
}

export interface MembershipRow {
  id: number;
  account_id: number;
  user_id: number;
  role: AccountRole;
  availability: string;
  auto_offline: number;
  active_at: string | null;
  inviter_id: number | null;
}

/** Every membership of these users. */
export async function membershipsOfUsers(db: Kysely<Database>, userIds: readonly number[]): Promise<MembershipRow[]> {
  const out: MembershipRow[] = [];
  for (const part of chunks(userIds)) {
    out.push(
      ...(await db
        .selectFrom('account_users')
        .select(['id', 'account_id', 'user_id', 'role', 'availability', 'auto_offline', 'active_at', 'inviter_id'])
        .where('user_id', 'in', part)
        .execute()),
    );
  }
  return out;
}

export type NewMembership = Omit<Insertable<AccountUsersTable>, 'id'>;

/** Inserts memberships; one that exists already (account, user) is left as it is. The rows inserted. */
export async function insertMemberships(
  db: Kysely<Database>,
  rows: readonly NewMembership[],
): Promise<Array<{ id: number; account_id: number; user_id: number }>> {
  const out: Array<{ id: number; account_id: number; user_id: number }> = [];
  for (const part of chunks(rows)) {
    out.push(
      ...(await db
        .insertInto('account_users')
        .values(part)
        .onConflict((oc) => oc.columns(['account_id', 'user_id']).doNothing())
        .returning(['id', 'account_id', 'user_id'])
        .execute()),
    );
  }
  return out;
}

export async function updateMembership(
  db: Kysely<Database>,
  id: number,
  patch: { role?: AccountRole; availability?: string; auto_offline?: number; active_at?: string | null; updated_at: string },
): Promise<void> {
  await db.updateTable('account_users').set(patch).where('id', '=', id).execute();
}

// ---------------------------------------------------------------------------------------------
// Widget users and their rooms

export interface StoredWidgetUser {
  id: number;
  reference_id: string;
  names: string;
  legal_id: string | null;
}

/** The bot's widget users with these reference ids. */
export async function findWidgetUsersByReferences(db: Kysely<Database>, botId: string, referenceIds: readonly string[]): Promise<StoredWidgetUser[]> {
  const out: StoredWidgetUser[] = [];
  for (const part of chunks(referenceIds)) {
    out.push(
      ...(await db
        .selectFrom('widget_users')
        .select(['id', 'reference_id', 'names', 'legal_id'])
        .where('bot_id', '=', botId)
        .where('reference_id', 'in', part)
        .execute()),
    );
  }
  return out;
}

/** Inserts widget users; one the bot already has (bot, reference id) is skipped. The rows inserted. */
export async function insertWidgetUsers(
  db: Kysely<Database>,
  rows: readonly Omit<Insertable<WidgetUsersTable>, 'id'>[],
): Promise<Array<{ id: number; reference_id: string }>> {
  const out: Array<{ id: number; reference_id: string }> = [];
  for (const part of chunks(rows)) {
    out.push(
      ...(await db
        .insertInto('widget_users')
        .values(part)
        .onConflict((oc) => oc.columns(['bot_id', 'reference_id']).doNothing())
        .returning(['id', 'reference_id'])
        .execute()),
    );
  }
  return out;
}

export async function insertRoomRows(db: Kysely<Database>, rows: readonly Insertable<RoomsTable>[]): Promise<void> {
  for (const part of chunks(rows)) await db.insertInto('rooms').values(part).execute();
}

export async function insertRoomMemberRows(db: Kysely<Database>, rows: readonly Insertable<RoomMembersTable>[]): Promise<void> {
  for (const part of chunks(rows)) await db.insertInto('room_members').values(part).execute();
}

/** The company's bot of that name. */
export async function findBotByName(db: Kysely<Database>, companyId: number, name: string): Promise<{ id: string } | undefined> {
  return db.selectFrom('bots').select('id').where('company_id', '=', companyId).where('name', '=', name).executeTakeFirst();
}

/** Links records to platform apps; a link that exists is kept. How many were new. */
export async function insertPermissibles(
  db: Kysely<Database>,
  rows: ReadonlyArray<{ platform_app_id: string; permissible_type: 'Account' | 'User' | 'AgentBot'; permissible_id: number; created_at: string }>,
): Promise<number> {
  let n = 0;
  for (const part of chunks(rows)) {
    const inserted = await db
      .insertInto('platform_app_permissibles')
      .values(part)
      .onConflict((oc) => oc.columns(['platform_app_id', 'permissible_type', 'permissible_id']).doNothing())
      .returning('id')
      .execute();
    n += inserted.length;
  }
  return n;
}

export async function findAccountsByIds(db: Kysely<Database>, companyId: number, ids: readonly number[]): Promise<AccountRow[]> {
  const out: AccountRow[] = [];
  for (const part of chunks(ids))
    out.push(...(await db.selectFrom('accounts').selectAll().where('company_id', '=', companyId).where('id', 'in', part).execute()));
  return out;
}

/** The memberships of these (account, user) pairs that exist. */
export async function findMemberships(db: Kysely<Database>, pairs: ReadonlyArray<{ accountId: number; userId: number }>): Promise<MembershipRow[]> {
  const out: MembershipRow[] = [];
  const userIds = [...new Set(pairs.map((p) => p.userId))];
  const wanted = new Set(pairs.map((p) => `${p.accountId}:${p.userId}`));
  for (const m of await membershipsOfUsers(db, userIds)) if (wanted.has(`${m.account_id}:${m.user_id}`)) out.push(m);
  return out;
}

/** The platform app credentials of the company with these ids (revoked ones too). */
export async function findPlatformApps(db: Kysely<Database>, companyId: number, ids: readonly string[]): Promise<Array<{ id: string; name: string | null }>> {
  const out: Array<{ id: string; name: string | null }> = [];
  for (const part of chunks(ids)) {
    out.push(
      ...(await db
        .selectFrom('credentials')
        .select(['id', 'name'])
        .where('company_id', '=', companyId)
        .where('kind', '=', 'platform_app')
        .where('id', 'in', part)
        .execute()),
    );
  }
  return out;
}

/**
 * Makes sure the table's next generated id is above `maxId`, so that ids up to it can be inserted
 * explicitly while the table keeps taking rows: PostgreSQL's identity sequence is moved forward
 * (never back), SQLite's AUTOINCREMENT counter (sqlite_sequence) too.
 */
export async function reserveIdsUpTo(db: Kysely<Database>, table: 'users' | 'accounts', maxId: number): Promise<void> {
  if (!Number.isSafeInteger(maxId) || maxId < 1) return;
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`
      select setval(s.seq::regclass, greatest(${maxId}::bigint, coalesce((select max(id) from ${sql.table(table)}), 1), coalesce(pg_sequence_last_value(s.seq::regclass), 1)))
      from (select pg_get_serial_sequence(${table}, 'id') as seq) s
    `.execute(db);
    return;
  }
  const res = await sql`update sqlite_sequence set seq = max(seq, ${maxId}) where name = ${table}`.execute(db);
  if (Number(res.numAffectedRows ?? 0) === 0) await sql`insert into sqlite_sequence (name, seq) values (${table}, ${maxId})`.execute(db);
}

/** The company's users with these external ids. */
export async function findUsersByExternalIds(
  db: Kysely<Database>,
  companyId: number,
  externalIds: readonly string[],
): Promise<Array<{ id: number; external_id: string | null }>> {
  const out: Array<{ id: number; external_id: string | null }> = [];
  for (const part of chunks(externalIds)) {
    out.push(...(await db.selectFrom('users').select(['id', 'external_id']).where('company_id', '=', companyId).where('external_id', 'in', part).execute()));
  }
  return out;
}
