/**
 * Jelou's widget users: a company's end customers, keyed by the integration's own id, unique per
 * bot. The first sighting creates the user with a personal room and a group room; later sightings
 * return the same rows, refreshing the names and legal id when they changed.
 */
import type { Db } from '../store/db.js';
import * as store from '../store/widget-users.js';
import { inTransaction } from '../store/transaction.js';
import { recordEvent, recordEventSync, recordEvents, recordEventsOf } from '../events/log.js';
import { coalescing, type Coalesced } from '../store/coalesce.js';
import { inSyncBatch, readSync } from '../store/sync.js';
import type { Acting, NewEvent } from '../events/types.js';
import type { WidgetUserRecord } from '../store/widget-users.js';
import { nowIso } from '../infra/clock.js';
import type { Principal } from './credentials.js';
import { invalid, type FieldError } from './errors.js';
import { newObjectId, newUuid } from './secrets.js';
import * as batchStore from '../store/import-batches.js';
import { isUnavailable, StoreError } from '../store/errors.js';
import type { NewWidgetUser } from '../store/schema.js';

export type { WidgetUserRecord };

export interface WidgetUserInput {
  id: string;
  names: string;
  /** Omitted: keep what is stored. */
  legalId?: string | undefined;
}

/** A widget user's limits: what the Jelou API and the import both check. */
export const WIDGET_USER_LIMITS = { id: 255, names: 255, legalId: 64 } as const;
const LIMITS = WIDGET_USER_LIMITS;

const NUL = '\u0000';

function check(input: WidgetUserInput): void {
  const fields: FieldError[] = [];
  if (input.id.length < 1 || input.id.length > LIMITS.id) fields.push({ field: 'user.id', message: `must be 1-${LIMITS.id} characters` });
  if (input.names.length < 1 || input.names.length > LIMITS.names) fields.push({ field: 'user.names', message: `must be 1-${LIMITS.names} characters` });
  if (input.legalId !== undefined && input.legalId.length > LIMITS.legalId)
    fields.push({ field: 'user.legalId', message: `must be at most ${LIMITS.legalId} characters` });
  // PostgreSQL cannot store NUL in text, and no real id or name holds one: refused on every store.
  for (const [field, value] of [
    ['user.id', input.id],
    ['user.names', input.names],
    ['user.legalId', input.legalId],
  ] as const) {
    if (value?.includes(NUL) && !fields.some((f) => f.field === field)) fields.push({ field, message: 'must not contain NUL characters' });
    // A lone surrogate would be stored as U+FFFD: the stored id would not be the one asked for
    // (the HTTP APIs and the import refuse such text before it gets here; this is for any caller).
    if (value !== undefined && !value.isWellFormed() && !fields.some((f) => f.field === field))
      fields.push({ field, message: 'must be well-formed Unicode text' });
  }
  if (fields.length > 0) throw invalid('VALIDATION_FAILED', 'The request body is invalid', fields);
}

/**
 * Jelou's room id for a user's personal room. Group rooms are keyed by their group id under another
 * prefix, so no user id a client chooses (another user's groupId, say) can collide with one.
 */
export const personalRoomId = (botId: string, referenceId: string) => `G:${botId}:${referenceId}`;
export const groupRoomId = (botId: string, groupId: string) => `GR:${botId}:${groupId}`;
const roomNames = (names: string) => ({ personal: names, group: `${names} (group)` });

/**
 * How the API that serves widget users presents one: the `data` of its widget_user.* events. The
 * kernel does not know Jelou's JSON; the composition root (services.ts) hands Jelou's presenter in.
 */
export type WidgetUserView = (user: WidgetUserRecord) => Record<string, unknown>;

/** A new user on its way to the store: the rows to write, and who asked. */
interface NewUnit {
  acting: Acting;
  companyId: number;
  input: WidgetUserInput;
  row: Omit<NewWidgetUser, 'id'>;
  rooms: store.NewRoom[];
  now: string;
}

/** Code-unit order: the same in every process, whatever the database's collation. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const owner = (unit: NewUnit, id: number) => ({ id, botId: unit.row.bot_id, referenceId: unit.row.reference_id });

/** PostgreSQL: group commits of new widget users on the wire at once, and the most users in one. */
export const CREATES_IN_FLIGHT = 2;
export const MAX_CREATES_PER_COMMIT = 50;
/** How long creates wait for a free slot before their transaction goes anyway (store/coalesce.ts). */
export const CREATES_MAX_WAIT_MS = 200;

export class WidgetUserService {
  /** PostgreSQL: concurrent creates coalesced into group commits (createMany); null elsewhere. */
  private readonly creates: Coalesced<NewUnit, WidgetUserRecord | undefined> | null;

  constructor(
    private readonly db: Db,
    private readonly view: WidgetUserView,
  ) {
    this.creates =
      db.kind === 'postgres'
        ? coalescing((units: readonly NewUnit[]) => this.createMany(units), {
            inFlight: CREATES_IN_FLIGHT,
            maxBatch: MAX_CREATES_PER_COMMIT,
            maxWaitMs: CREATES_MAX_WAIT_MS,
          })
        : null;
  }

  async getOrCreate(principal: Principal, input: WidgetUserInput): Promise<{ user: WidgetUserRecord; created: boolean }> {
    check(input);
    const botId = principal.botId;
    if (botId === null) throw new Error('widget principal without a bot');
    const db = this.db.kysely;

    // On SQLite the lookup (one statement, no transaction around it), and below the whole create,
    // run in one synchronous step each (store/sync.ts): no other request's statements wait behind
    // this one's round trips.
    // On PostgreSQL the lookup joins the concurrent requests' lookups in one query
    // (store/widget-users.ts findWidgetUser), and the create their creates in a group commit.
    const found = readSync(db, (trx) => store.findWidgetUserSync(trx, botId, input.id));
    const existing = found ? found.value : await store.findWidgetUser(db, botId, input.id);
    if (existing) return { user: await this.refresh(principal.acting, existing, input), created: false };

    const now = nowIso();
    const { user: row, rooms } = newWidgetUserRows({ botId, companyId: principal.companyId }, input, now);
    const unit: NewUnit = { acting: principal.acting, companyId: principal.companyId, input, row, rooms, now };
    // On SQLite, in a group commit with the other new users of this turn of the event loop
    // (store/sync.ts inSyncBatch): one commit writes the pages they share once.
    const createdSync = await inSyncBatch(db, (trx) => {
      const id = store.insertWidgetUserSync(trx, row);
      if (id === undefined) return undefined;
      store.insertRoomsSync(trx, owner(unit, id), rooms);
      const user = this.record(unit, id);
      recordEventSync(trx, principal.acting, this.createdEvent(unit, user), now);
      return user;
    });
    // On PostgreSQL, in a group commit of the creates that arrive while others are out (createMany).
    const created = createdSync ? createdSync.value : this.creates ? await this.creates.load(unit) : await this.createOne(unit);
    if (created) return { user: created, created: true };
    // Lost the race: another request created this user first. Its rows stand; apply our profile.
    const user = await store.findWidgetUser(db, botId, input.id);
    if (!user) throw new Error('widget user vanished after get-or-create');
    return { user: await this.refresh(principal.acting, user, input), created: false };
  }

  /** What was just written, as findWidgetUser would read it back (no second query). */
  private record(unit: NewUnit, id: number): WidgetUserRecord {
    const { row, rooms, now } = unit;
    return {
      id,
      botId: row.bot_id,
      companyId: row.company_id,
      referenceId: row.reference_id,
      names: row.names,
      legalId: row.legal_id ?? null,
      socketId: row.socket_id,
      providerId: row.provider_id,
      groupId: row.group_id,
      createdAt: now,
      updatedAt: now,
      rooms: { personal: rooms[0]!, group: rooms[1]! },
    };
  }

  private createdEvent(unit: NewUnit, user: WidgetUserRecord): NewEvent {
    return { type: 'widget_user.created', companyId: unit.companyId, target: { kind: 'widget_user', id: unit.input.id }, data: this.view(user) };
  }

  /**
   * One new user in a transaction of its own: the user, both rooms, their four memberships and the
   * event; the unique index on (bot, reference id) decides a race, and the loser writes nothing
   * (undefined).
   */
  private createOne(unit: NewUnit): Promise<WidgetUserRecord | undefined> {
    return inTransaction(this.db.kysely, async (trx) => {
      const id = await store.insertWidgetUser(trx, unit.row);
      if (id === undefined) return undefined;
      await store.insertRooms(trx, owner(unit, id), unit.rooms);
      const user = this.record(unit, id);
      await recordEvent(trx, unit.acting, this.createdEvent(unit, user), unit.now);
      return user;
    });
  }

  /**
   * PostgreSQL's group commit (issue 15): the new users that arrived while other creates were out,
   * in one transaction of a few statements whatever their number (insertWidgetUsersMany, then the
   * events), where one each costs seven round trips. Each answers as createOne would: its user, or
   * undefined when the bot already had one with its id (a second create of the same id in the
   * batch included: it is read back by its caller, as a lost race is). The users go in the order
   * of (bot, reference id), the same in every group and every process, so two groups holding the
   * same new ids wait for each other rather than deadlock.
   *
   * When the transaction fails, nothing of it is written. If the database is unavailable (down, a
   * timeout) every user of the group fails with that error; otherwise (a deadlock, one bad row)
   * each user is written again alone, one after another, so that one bad create fails only itself
   * and the retries do not flood the pool.
   */
  private async createMany(units: readonly NewUnit[]): Promise<Array<WidgetUserRecord | undefined | Error>> {
    if (units.length === 1) return [await this.createOne(units[0]!)];
    const first: number[] = [];
    const seen = new Map<string, Set<string>>();
    units.forEach((u, i) => {
      let refs = seen.get(u.row.bot_id);
      if (refs === undefined) seen.set(u.row.bot_id, (refs = new Set()));
      if (refs.has(u.row.reference_id)) return;
      refs.add(u.row.reference_id);
      first.push(i);
    });
    const key = (i: number) => units[i]!.row;
    first.sort((a, b) => compare(key(a).bot_id, key(b).bot_id) || compare(key(a).reference_id, key(b).reference_id));
    try {
      return await inTransaction(this.db.kysely, async (trx) => {
        const ids = await store.insertWidgetUsersMany(
          trx,
          first.map((i) => ({ user: units[i]!.row, rooms: units[i]!.rooms })),
        );
        const out: Array<WidgetUserRecord | undefined> = units.map(() => undefined);
        const events: Array<{ acting: Acting; event: NewEvent; now: string }> = [];
        first.forEach((i, k) => {
          const id = ids[k];
          if (id === undefined) return;
          const unit = units[i]!;
          const user = this.record(unit, id);
          out[i] = user;
          events.push({ acting: unit.acting, event: this.createdEvent(unit, user), now: unit.now });
        });
        await recordEventsOf(trx, events);
        return out;
      });
    } catch (err) {
      const failure = err instanceof Error ? err : new Error(String(err));
      if (isUnavailable(err)) return units.map(() => failure);
      const out: Array<WidgetUserRecord | undefined | Error> = [];
      for (const unit of units) out.push(await this.createOne(unit).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))));
      return out;
    }
  }

  private async refresh(acting: Acting, user: WidgetUserRecord, input: WidgetUserInput): Promise<WidgetUserRecord> {
    const legalId = input.legalId ?? user.legalId;
    if (user.names === input.names && user.legalId === legalId) return user;
    const now = nowIso();
    const names = roomNames(input.names);
    const updated: WidgetUserRecord = {
      ...user,
      names: input.names,
      legalId,
      updatedAt: now,
      rooms: {
        personal: { ...user.rooms.personal, name: names.personal, updatedAt: now },
        group: { ...user.rooms.group, name: names.group, updatedAt: now },
      },
    };
    // The rooms carry the user's names, so they follow in the same transaction, with the event.
    await inTransaction(this.db.kysely, async (trx) => {
      await store.updateWidgetUser(trx, user.id, { names: input.names, legalId, now });
      for (const kind of ['personal', 'group'] as const) await store.renameRoom(trx, user.id, kind, names[kind], now);
      await recordEvent(
        trx,
        acting,
        { type: 'widget_user.updated', companyId: user.companyId, target: { kind: 'widget_user', id: user.referenceId }, data: this.view(updated) },
        now,
      );
    });
    return updated;
  }
}

// ---------------------------------------------------------------------------------------------
// Many at a time (`roster import widget-users`): the rows getOrCreate writes, for a batch in the
// caller's transaction. Additive: getOrCreate above is the request path and stays as it is.

/** The rows a new widget user is stored as, with both rooms: what getOrCreate writes for one. */
export function newWidgetUserRows(
  owner: { botId: string; companyId: number },
  input: WidgetUserInput,
  now: string,
): { user: Omit<NewWidgetUser, 'id'>; rooms: store.NewRoom[] } {
  const groupId = newUuid();
  const names = roomNames(input.names);
  return {
    user: {
      bot_id: owner.botId,
      company_id: owner.companyId,
      reference_id: input.id,
      names: input.names,
      legal_id: input.legalId ?? null,
      socket_id: newUuid(),
      provider_id: newUuid(),
      group_id: groupId,
      created_at: now,
      updated_at: now,
    },
    rooms: [
      {
        oid: newObjectId(),
        id: personalRoomId(owner.botId, input.id),
        kind: 'personal',
        name: names.personal,
        lastMessageAt: now,
        createdAt: now,
        updatedAt: now,
      },
      { oid: newObjectId(), id: groupRoomId(owner.botId, groupId), kind: 'group', name: names.group, lastMessageAt: now, createdAt: now, updatedAt: now },
    ],
  };
}

/** A batch sorted against what the bot has: new users, users whose profile the batch changes, the rest. */
export interface WidgetUserBatchPlan {
  fresh: WidgetUserInput[];
  changed: Array<{ id: number; input: WidgetUserInput; legalId: string | null }>;
  unchanged: WidgetUserInput[];
}

/** Sorts a batch (ids unique in it) against the bot's stored users, as getOrCreate would treat each. */
export async function planWidgetUsers(db: Db['kysely'], botId: string, inputs: WidgetUserInput[]): Promise<WidgetUserBatchPlan> {
  for (const input of inputs) check(input);
  const stored = new Map(
    (
      await batchStore.findWidgetUsersByReferences(
        db,
        botId,
        inputs.map((i) => i.id),
      )
    ).map((u) => [u.reference_id, u]),
  );
  const plan: WidgetUserBatchPlan = { fresh: [], changed: [], unchanged: [] };
  for (const input of inputs) {
    const user = stored.get(input.id);
    if (!user) {
      plan.fresh.push(input);
      continue;
    }
    const legalId = input.legalId ?? user.legal_id;
    if (user.names === input.names && user.legal_id === legalId) plan.unchanged.push(input);
    else plan.changed.push({ id: user.id, input, legalId });
  }
  return plan;
}

/**
 * Writes a plan in the caller's transaction: each new user with its rooms and their members, and
 * widget_user.created, as getOrCreate writes them; each changed profile with its rooms renamed, and
 * widget_user.updated. A new user the bot has meanwhile (another request) raises the store's unique
 * violation: the caller retries the batch row by row (see import/run.ts writeIsolating).
 */
export async function writeWidgetUsers(
  trx: Db['kysely'],
  acting: Acting,
  owner: { botId: string; companyId: number },
  plan: WidgetUserBatchPlan,
  now: string,
): Promise<void> {
  const events: NewEvent[] = [];
  const fresh = plan.fresh.map((input) => ({ input, ...newWidgetUserRows(owner, input, now) }));
  const inserted = new Map(
    (
      await batchStore.insertWidgetUsers(
        trx,
        fresh.map((f) => f.user),
      )
    ).map((r) => [r.reference_id, r.id]),
  );
  if (inserted.size !== fresh.length) throw new StoreError('unique', 'a widget user was created meanwhile');
  const rooms = fresh.flatMap((f) =>
    f.rooms.map((r) => ({
      oid: r.oid,
      id: r.id,
      kind: r.kind,
      bot_id: owner.botId,
      widget_user_id: inserted.get(f.input.id)!,
      name: r.name,
      last_message_at: r.lastMessageAt,
      created_at: r.createdAt,
      updated_at: r.updatedAt,
    })),
  );
  await batchStore.insertRoomRows(trx, rooms);
  await batchStore.insertRoomMemberRows(
    trx,
    fresh.flatMap((f) =>
      f.rooms.flatMap((r) => [
        { room_oid: r.oid, member_id: f.input.id, member_type: 'user' as const, created_at: r.createdAt },
        { room_oid: r.oid, member_id: owner.botId, member_type: 'bot' as const, created_at: r.createdAt },
      ]),
    ),
  );
  for (const { input } of fresh) {
    events.push({
      type: 'widget_user.created',
      companyId: owner.companyId,
      target: { kind: 'widget_user', id: input.id },
      data: { id: input.id, names: input.names, legalId: input.legalId ?? null, botId: owner.botId },
    });
  }
  for (const { id, input, legalId } of plan.changed) {
    const names = roomNames(input.names);
    await store.updateWidgetUser(trx, id, { names: input.names, legalId, now });
    for (const kind of ['personal', 'group'] as const) await store.renameRoom(trx, id, kind, names[kind], now);
    events.push({
      type: 'widget_user.updated',
      companyId: owner.companyId,
      target: { kind: 'widget_user', id: input.id },
      data: { id: input.id, names: input.names, legalId, botId: owner.botId },
    });
  }
  await recordEvents(trx, acting, events, now);
}
