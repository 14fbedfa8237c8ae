import { coalescing, type Coalesced } from './coalesce.js';
import { columnsOf, unnestRows } from './unnest.js';
import { PostgresAdapter, sql, type Kysely } from 'kysely';
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

/** What a lookup reads: the user's columns and one room's, one row per room. */
const USER_AND_ROOM = [
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
] as const;

/** The user and both rooms in one query (two rows, one per room); compiled once, it is the hot path. */
const selectWidgetUser = precompile(['botId', 'referenceId'], (db, p) =>
  db
    .selectFrom('widget_users as u')
    .innerJoin('rooms as r', 'r.widget_user_id', 'u.id')
    .select(USER_AND_ROOM)
    .where('u.bot_id', '=', p.botId)
    .where('u.reference_id', '=', p.referenceId),
);

/**
 * PostgreSQL only: the users and rooms of many (bot, reference id) pairs in one query. The pairs go
 * as two arrays, so the text is one fixed prepared statement whatever their number; each row
 * carries the position of its pair (`k.i`, from 1), so rows are matched to lookups by position,
 * never by comparing strings the database may have stored differently (a lone surrogate).
 *
 * `i between 1 and MAX_LOOKUPS_PER_QUERY` is always true: it is there for the planner. A named
 * statement may run on a generic plan, kept until the table is next analyzed, and PostgreSQL
 * estimates an unnest of a parameter at 10 rows and a table never analyzed at 10 pages or more:
 * without the filter the generic plan made while widget_users was new hash-joined a sequential scan
 * of it, and kept scanning the whole table as it grew, until autovacuum's first ANALYZE (the
 * PostgreSQL bench lost half its rate in a minute; bench/README.md, round eight). The range brings
 * the estimate to one row, and one row is looked up by the index. Once the table has statistics,
 * plans follow them (an ANALYZE replaces the cached ones).
 */
const selectWidgetUsers = precompile(['botIds', 'referenceIds'], (db, p) =>
  db
    .selectFrom(
      sql<{
        bot_id: string;
        reference_id: string;
        i: number;
      }>`(select * from unnest(${p.botIds}::text[], ${p.referenceIds}::text[]) with ordinality as t(bot_id, reference_id, i) where i between 1 and ${sql.lit(MAX_LOOKUPS_PER_QUERY)})`.as(
        'k',
      ),
    )
    .innerJoin('widget_users as u', (j) => j.onRef('u.bot_id', '=', 'k.bot_id').onRef('u.reference_id', '=', 'k.reference_id'))
    .innerJoin('rooms as r', 'r.widget_user_id', 'u.id')
    .select([...USER_AND_ROOM, 'k.i']),
);

interface Lookup {
  botId: string;
  referenceId: string;
}

/**
 * How many coalesced lookups one PostgreSQL database has on the wire at once. While they are
 * out, the lookups that arrive wait and go together in the next (coalesce.ts, issue 15): under load
 * one query answers many requests, and the database parses, plans and answers once for all of them
 * (one write and one wake-up each way instead of one per request). When lookups arrive one at a
 * time, each goes at once, alone, as before.
 */
export const LOOKUP_QUERIES_IN_FLIGHT = 2;
/** The most lookups one query takes. */
export const MAX_LOOKUPS_PER_QUERY = 100;
/** How long lookups wait for a free slot before their query goes anyway (coalesce.ts). */
export const LOOKUP_MAX_WAIT_MS = 200;

async function lookUpMany(db: Kysely<Database>, keys: readonly Lookup[]): Promise<Array<WidgetUserRecord | undefined>> {
  // The query's `i between 1 and MAX_LOOKUPS_PER_QUERY` would drop the rest as not found.
  if (keys.length > MAX_LOOKUPS_PER_QUERY) throw new Error(`${keys.length} lookups in one query (at most ${MAX_LOOKUPS_PER_QUERY})`);
  if (keys.length === 1) {
    const { botId, referenceId } = keys[0]!;
    return [toRecord(botId, referenceId, await selectWidgetUser(db, { botId, referenceId }))];
  }
  const rows = await selectWidgetUsers(db, { botIds: keys.map((k) => k.botId), referenceIds: keys.map((k) => k.referenceId) });
  const byKey: Array<typeof rows> = keys.map(() => []);
  // ordinality counts from 1 (bigint: a number here, db.ts)
  for (const row of rows) byKey[Number(row.i) - 1]?.push(row);
  return keys.map((k, n) => toRecord(k.botId, k.referenceId, byKey[n]!));
}

const loaders = new WeakMap<Kysely<Database>, Coalesced<Lookup, WidgetUserRecord | undefined> | null>();

/** The coalescing loader of a PostgreSQL database; null for any other (and for a transaction). */
function loaderOf(db: Kysely<Database>): Coalesced<Lookup, WidgetUserRecord | undefined> | null {
  let loader = loaders.get(db);
  if (loader === undefined) {
    loader =
      !db.isTransaction && db.getExecutor().adapter instanceof PostgresAdapter
        ? coalescing((keys: readonly Lookup[]) => lookUpMany(db, keys), {
            inFlight: LOOKUP_QUERIES_IN_FLIGHT,
            maxBatch: MAX_LOOKUPS_PER_QUERY,
            maxWaitMs: LOOKUP_MAX_WAIT_MS,
          })
        : null;
    loaders.set(db, loader);
  }
  return loader;
}

/**
 * A widget user and both rooms. On PostgreSQL the lookups of concurrent requests are coalesced into
 * one query (lookupLoader); elsewhere, and in a transaction, it is one query of its own.
 */
export async function findWidgetUser(db: Kysely<Database>, botId: string, referenceId: string): Promise<WidgetUserRecord | undefined> {
  const loader = loaderOf(db);
  if (loader !== null) return loader.load({ botId, referenceId });
  return toRecord(botId, referenceId, await selectWidgetUser(db, { botId, referenceId }));
}

/** findWidgetUser in a synchronous SQLite transaction (sync.ts). */
export function findWidgetUserSync(trx: SyncTrx, botId: string, referenceId: string): WidgetUserRecord | undefined {
  return toRecord(botId, referenceId, trx.all(selectWidgetUser.query(trx.kysely, { botId, referenceId })));
}

function toRecord(botId: string, referenceId: string, rows: readonly Awaited<ReturnType<typeof selectWidgetUser>>[number][]): WidgetUserRecord | undefined {
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

/** The columns of a new widget user, in the order the precompiled insert binds them. */
const USER_COLUMNS = ['bot_id', 'company_id', 'reference_id', 'names', 'legal_id', 'socket_id', 'provider_id', 'group_id', 'created_at', 'updated_at'] as const;

/**
 * The new user's insert, compiled once (precompile.ts): a new widget user's statements are built
 * per request otherwise, 27 µs of Kysely work per user (issue 15). `ON CONFLICT DO NOTHING`: the
 * unique index decides a race.
 */
const insertWidgetUserStatement = precompile(USER_COLUMNS, (db, p) =>
  db
    .insertInto('widget_users')
    .values(p as unknown as Omit<NewWidgetUser, 'id'>)
    .onConflict((oc) => oc.columns(['bot_id', 'reference_id']).doNothing())
    .returning('id'),
);

const userValues = (user: Omit<NewWidgetUser, 'id'>): Record<(typeof USER_COLUMNS)[number], unknown> => ({
  bot_id: user.bot_id,
  company_id: user.company_id,
  reference_id: user.reference_id,
  names: user.names,
  legal_id: user.legal_id ?? null,
  socket_id: user.socket_id,
  provider_id: user.provider_id,
  group_id: user.group_id,
  created_at: user.created_at,
  updated_at: user.updated_at,
});

/**
 * Inserts a widget user unless the bot already has one with this reference id (the unique index
 * decides, race-free): the new row's id, or undefined when another request created it first.
 */
export async function insertWidgetUser(db: Kysely<Database>, user: Omit<NewWidgetUser, 'id'>): Promise<number | undefined> {
  return (await insertWidgetUserStatement(db, userValues(user)))[0]?.id;
}

/** insertWidgetUser in a synchronous SQLite transaction (sync.ts). */
export function insertWidgetUserSync(trx: SyncTrx, user: Omit<NewWidgetUser, 'id'>): number | undefined {
  return trx.all(insertWidgetUserStatement.query(trx.kysely, userValues(user)))[0]?.id;
}

type RoomOwner = { id: number; botId: string; referenceId: string };

const ROOM_FIELDS = ['oid', 'id', 'kind', 'name', 'last_message_at', 'created_at', 'updated_at'] as const;
type RoomField = (typeof ROOM_FIELDS)[number];
type RoomKey = `${'personal' | 'group'}_${RoomField}` | 'bot_id' | 'widget_user_id' | 'reference_id' | 'user_type' | 'bot_type';
const ROOM_KEYS: readonly RoomKey[] = [
  'bot_id',
  'widget_user_id',
  'reference_id',
  'user_type',
  'bot_type',
  ...ROOM_FIELDS.map((f) => `personal_${f}` as const),
  ...ROOM_FIELDS.map((f) => `group_${f}` as const),
];

/** A widget user's two rooms (personal, then group), compiled once as the user's insert is. */
const insertRoomsStatement = precompile(ROOM_KEYS, (db, p) =>
  db.insertInto('rooms').values(
    (['personal', 'group'] as const).map((k) => ({
      oid: p[`${k}_oid`],
      id: p[`${k}_id`],
      kind: p[`${k}_kind`] as RoomKind,
      bot_id: p.bot_id,
      widget_user_id: p.widget_user_id as unknown as number,
      name: p[`${k}_name`],
      last_message_at: p[`${k}_last_message_at`],
      created_at: p[`${k}_created_at`],
      updated_at: p[`${k}_updated_at`],
    })),
  ),
);

/** Each room's two members, the user and the bot. */
const insertMembersStatement = precompile(ROOM_KEYS, (db, p) =>
  db.insertInto('room_members').values(
    (['personal', 'group'] as const).flatMap((k) => [
      { room_oid: p[`${k}_oid`], member_id: p.reference_id, member_type: p.user_type as 'user', created_at: p[`${k}_created_at`] },
      { room_oid: p[`${k}_oid`], member_id: p.bot_id, member_type: p.bot_type as 'bot', created_at: p[`${k}_created_at`] },
    ]),
  ),
);

function roomValues(owner: RoomOwner, rooms: readonly NewRoom[]): Record<RoomKey, unknown> {
  const [personal, group] = rooms;
  if (rooms.length !== 2 || personal?.kind !== 'personal' || group?.kind !== 'group') throw new Error('a widget user has a personal room and a group room');
  const values: Partial<Record<RoomKey, unknown>> = {
    bot_id: owner.botId,
    widget_user_id: owner.id,
    reference_id: owner.referenceId,
    user_type: 'user',
    bot_type: 'bot',
  };
  for (const [k, r] of [
    ['personal', personal],
    ['group', group],
  ] as const) {
    values[`${k}_oid`] = r.oid;
    values[`${k}_id`] = r.id;
    values[`${k}_kind`] = r.kind;
    values[`${k}_name`] = r.name;
    values[`${k}_last_message_at`] = r.lastMessageAt;
    values[`${k}_created_at`] = r.createdAt;
    values[`${k}_updated_at`] = r.updatedAt;
  }
  return values as Record<RoomKey, unknown>;
}

/** Inserts a widget user's rooms (personal, then group), each with two members: the user and the bot. */
export async function insertRooms(db: Kysely<Database>, owner: RoomOwner, rooms: readonly NewRoom[]): Promise<void> {
  const values = roomValues(owner, rooms);
  await insertRoomsStatement(db, values);
  await insertMembersStatement(db, values);
}

/** insertRooms in a synchronous SQLite transaction (sync.ts). */
export function insertRoomsSync(trx: SyncTrx, owner: RoomOwner, rooms: readonly NewRoom[]): void {
  const values = roomValues(owner, rooms);
  trx.all(insertRoomsStatement.query(trx.kysely, values));
  trx.all(insertMembersStatement.query(trx.kysely, values));
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: many new users in three statements (a group commit of concurrent creates,
// identity/widget-users.ts). Each column goes as one array, so each statement is one fixed prepared
// text whatever the number of users.

const USER_TYPES: Record<(typeof USER_COLUMNS)[number], string> = {
  bot_id: 'text',
  company_id: 'bigint',
  reference_id: 'text',
  names: 'text',
  legal_id: 'text',
  socket_id: 'text',
  provider_id: 'text',
  group_id: 'text',
  created_at: 'text',
  updated_at: 'text',
};
const ROOM_COLUMNS = ['oid', 'id', 'kind', 'bot_id', 'widget_user_id', 'name', 'last_message_at', 'created_at', 'updated_at'] as const;
const ROOM_TYPES: Record<(typeof ROOM_COLUMNS)[number], string> = {
  oid: 'text',
  id: 'text',
  kind: 'text',
  bot_id: 'text',
  widget_user_id: 'bigint',
  name: 'text',
  last_message_at: 'text',
  created_at: 'text',
  updated_at: 'text',
};
const MEMBER_COLUMNS = ['room_oid', 'member_id', 'member_type', 'created_at'] as const;
const MEMBER_TYPES: Record<(typeof MEMBER_COLUMNS)[number], string> = { room_oid: 'text', member_id: 'text', member_type: 'text', created_at: 'text' };

const insertUsersMany = precompile(USER_COLUMNS, (db, p) =>
  db
    .insertInto('widget_users')
    .columns([...USER_COLUMNS])
    .expression(unnestRows(USER_COLUMNS, USER_TYPES, p))
    .onConflict((oc) => oc.columns(['bot_id', 'reference_id']).doNothing())
    .returning(['id', 'bot_id', 'reference_id']),
);
const insertRoomsMany = precompile(ROOM_COLUMNS, (db, p) =>
  db
    .insertInto('rooms')
    .columns([...ROOM_COLUMNS])
    .expression(unnestRows(ROOM_COLUMNS, ROOM_TYPES, p)),
);
const insertMembersMany = precompile(MEMBER_COLUMNS, (db, p) =>
  db
    .insertInto('room_members')
    .columns([...MEMBER_COLUMNS])
    .expression(unnestRows(MEMBER_COLUMNS, MEMBER_TYPES, p)),
);

/**
 * PostgreSQL only, in the caller's transaction: inserts new widget users, each with its personal and
 * group room and their members (the user and the bot), as insertWidgetUser and insertRooms do for
 * one. A user its bot already has (the unique index decides) is skipped with its rooms. The new
 * ids, in the order of `users`; undefined where skipped. No two may share a bot and reference id.
 */
export async function insertWidgetUsersMany(
  trx: Kysely<Database>,
  users: ReadonlyArray<{ user: Omit<NewWidgetUser, 'id'>; rooms: readonly NewRoom[] }>,
): Promise<Array<number | undefined>> {
  const inserted = await insertUsersMany(
    trx,
    columnsOf(
      USER_COLUMNS,
      users.map((u) => userValues(u.user)),
    ),
  );
  const byBot = new Map<string, Map<string, number>>();
  for (const r of inserted) {
    let byRef = byBot.get(r.bot_id);
    if (byRef === undefined) byBot.set(r.bot_id, (byRef = new Map<string, number>()));
    byRef.set(r.reference_id, r.id);
  }
  const ids = users.map((u) => byBot.get(u.user.bot_id)?.get(u.user.reference_id));
  // Every inserted row must be one of ours, found by the strings we sent: were one stored as
  // something else (a string the database altered), its rooms would be missing. Throwing rolls
  // the whole insert back; the caller then writes each user alone (insertWidgetUser's path).
  if (ids.filter((id) => id !== undefined).length !== inserted.length) throw new Error('insertWidgetUsersMany: an inserted row matches no user');
  const rooms: Array<Record<(typeof ROOM_COLUMNS)[number], unknown>> = [];
  const members: Array<Record<(typeof MEMBER_COLUMNS)[number], unknown>> = [];
  users.forEach((u, i) => {
    const id = ids[i];
    if (id === undefined) return;
    const values = roomValues({ id, botId: u.user.bot_id, referenceId: u.user.reference_id }, u.rooms);
    for (const k of ['personal', 'group'] as const) {
      rooms.push({
        oid: values[`${k}_oid`],
        id: values[`${k}_id`],
        kind: values[`${k}_kind`],
        bot_id: u.user.bot_id,
        widget_user_id: id,
        name: values[`${k}_name`],
        last_message_at: values[`${k}_last_message_at`],
        created_at: values[`${k}_created_at`],
        updated_at: values[`${k}_updated_at`],
      });
      members.push(
        { room_oid: values[`${k}_oid`], member_id: u.user.reference_id, member_type: 'user', created_at: values[`${k}_created_at`] },
        { room_oid: values[`${k}_oid`], member_id: u.user.bot_id, member_type: 'bot', created_at: values[`${k}_created_at`] },
      );
    }
  });
  if (rooms.length > 0) {
    await insertRoomsMany(trx, columnsOf(ROOM_COLUMNS, rooms));
    await insertMembersMany(trx, columnsOf(MEMBER_COLUMNS, members));
  }
  return ids;
}

export async function updateWidgetUser(db: Kysely<Database>, id: number, profile: { names: string; legalId: string | null; now: string }): Promise<void> {
  await db.updateTable('widget_users').set({ names: profile.names, legal_id: profile.legalId, updated_at: profile.now }).where('id', '=', id).execute();
}

export async function renameRoom(db: Kysely<Database>, widgetUserId: number, kind: RoomKind, name: string, now: string): Promise<void> {
  await db.updateTable('rooms').set({ name, updated_at: now }).where('widget_user_id', '=', widgetUserId).where('kind', '=', kind).execute();
}
