import type { Kysely } from 'kysely';
import { precompile } from './precompile.js';
import type { SyncTrx } from './sync.js';
import type { Database, NewWidgetUser, RoomKind } from './schema.js';

export interface WidgetUserRecord {
  id: number;
  botId: string;
  companyId: number;
  referenceId: string;
  names: string;
  legalId: string | null;
  socketId: string;
  providerId: string;
  groupId: string;
  createdAt: string;
  updatedAt: string;
  rooms: Record<RoomKind, RoomRecord>;
}

export interface RoomRecord {
  oid: string;
  id: string;
  kind: RoomKind;
  name: string;
  lastMessageAt: string;
  createdAt: string;
  updatedAt: string;
}

export type NewRoom = RoomRecord;

/** The user and both rooms in one query (two rows, one per room); compiled once, it is the hot path. */
const selectWidgetUser = precompile(['botId', 'referenceId'], (db, p) =>
  db
    .selectFrom('widget_users as u')
    .innerJoin('rooms as r', 'r.widget_user_id', 'u.id')
    .select([
      'u.id as u_id',
      'u.company_id',
      'u.names',
      'u.legal_id',
      'u.socket_id',
      'u.provider_id',
      'u.group_id',
      'u.created_at as u_created_at',
      'u.updated_at as u_updated_at',
      'r.oid',
      'r.id as r_id',
      'r.kind',
      'r.name as r_name',
      'r.last_message_at',
      'r.created_at as r_created_at',
      'r.updated_at as r_updated_at',
    ])
    .where('u.bot_id', '=', p.botId)
    .where('u.reference_id', '=', p.referenceId),
);

export async function findWidgetUser(db: Kysely<Database>, botId: string, referenceId: string): Promise<WidgetUserRecord | undefined> {
  return toRecord(botId, referenceId, await selectWidgetUser(db, { botId, referenceId }));
}

/** findWidgetUser in a synchronous SQLite transaction (sync.ts). */
export function findWidgetUserSync(trx: SyncTrx, botId: string, referenceId: string): WidgetUserRecord | undefined {
  return toRecord(botId, referenceId, trx.all(selectWidgetUser.query(trx.kysely, { botId, referenceId })));
}

function toRecord(botId: string, referenceId: string, rows: Awaited<ReturnType<typeof selectWidgetUser>>): WidgetUserRecord | undefined {
  const first = rows[0];
  if (!first) return undefined;
  const rooms = {} as Record<RoomKind, RoomRecord>;
  for (const r of rows) {
    rooms[r.kind] = {
      oid: r.oid,
      id: r.r_id,
      kind: r.kind,
      name: r.r_name,
      lastMessageAt: r.last_message_at,
      createdAt: r.r_created_at,
      updatedAt: r.r_updated_at,
    };
  }
  if (!rooms.personal || !rooms.group) return undefined;
  return {
    id: first.u_id,
    botId,
    companyId: first.company_id,
    referenceId,
    names: first.names,
    legalId: first.legal_id,
    socketId: first.socket_id,
    providerId: first.provider_id,
    groupId: first.group_id,
    createdAt: first.u_created_at,
    updatedAt: first.u_updated_at,
    rooms,
  };
}

/**
 * Inserts a widget user unless the bot already has one with this reference id (the unique index
 * decides, race-free): the new row's id, or undefined when another request created it first.
 */
export async function insertWidgetUser(db: Kysely<Database>, user: Omit<NewWidgetUser, 'id'>): Promise<number | undefined> {
  const inserted = await insertWidgetUserQuery(db, user).executeTakeFirst();
  return inserted?.id;
}

/** insertWidgetUser in a synchronous SQLite transaction (sync.ts). */
export function insertWidgetUserSync(trx: SyncTrx, user: Omit<NewWidgetUser, 'id'>): number | undefined {
  return trx.all(insertWidgetUserQuery(trx.kysely, user))[0]?.id;
}

const insertWidgetUserQuery = (db: Kysely<Database>, user: Omit<NewWidgetUser, 'id'>) =>
  db
    .insertInto('widget_users')
    .values(user)
    .onConflict((oc) => oc.columns(['bot_id', 'reference_id']).doNothing())
    .returning('id');

type RoomOwner = { id: number; botId: string; referenceId: string };

/** Inserts a widget user's rooms, each with two members: the user and the bot. */
export async function insertRooms(db: Kysely<Database>, owner: RoomOwner, rooms: NewRoom[]): Promise<void> {
  await insertRoomsQuery(db, owner, rooms).execute();
  await insertMembersQuery(db, owner, rooms).execute();
}

/** insertRooms in a synchronous SQLite transaction (sync.ts). */
export function insertRoomsSync(trx: SyncTrx, owner: RoomOwner, rooms: NewRoom[]): void {
  trx.all(insertRoomsQuery(trx.kysely, owner, rooms));
  trx.all(insertMembersQuery(trx.kysely, owner, rooms));
}

const insertRoomsQuery = (db: Kysely<Database>, owner: RoomOwner, rooms: NewRoom[]) =>
  db.insertInto('rooms').values(
    rooms.map((r) => ({
      oid: r.oid,
      id: r.id,
      kind: r.kind,
      bot_id: owner.botId,
      widget_user_id: owner.id,
      name: r.name,
      last_message_at: r.lastMessageAt,
      created_at: r.createdAt,
      updated_at: r.updatedAt,
    })),
  );

const insertMembersQuery = (db: Kysely<Database>, owner: RoomOwner, rooms: NewRoom[]) =>
  db.insertInto('room_members').values(
    rooms.flatMap((r) => [
      { room_oid: r.oid, member_id: owner.referenceId, member_type: 'user' as const, created_at: r.createdAt },
      { room_oid: r.oid, member_id: owner.botId, member_type: 'bot' as const, created_at: r.createdAt },
    ]),
  );

export async function updateWidgetUser(db: Kysely<Database>, id: number, profile: { names: string; legalId: string | null; now: string }): Promise<void> {
  await db.updateTable('widget_users').set({ names: profile.names, legal_id: profile.legalId, updated_at: profile.now }).where('id', '=', id).execute();
}

export async function renameRoom(db: Kysely<Database>, widgetUserId: number, kind: RoomKind, name: string, now: string): Promise<void> {
  await db.updateTable('rooms').set({ name, updated_at: now }).where('widget_user_id', '=', widgetUserId).where('kind', '=', kind).execute();
}
