/** The event log: one row per write, in the writer's transaction. */
import { PostgresAdapter, type Kysely } from 'kysely';
import { columnsOf, unnestRows } from './unnest.js';
import { chunks } from './import-batches.js';
import { precompile } from './precompile.js';
import type { Database, EventRow, NewEventRow } from './schema.js';
import type { SyncTrx } from './sync.js';

const EVENT_COLUMNS = ['type', 'occurred_at', 'company_id', 'actor_kind', 'actor_id', 'client_ip', 'request_id', 'target_kind', 'target_id', 'data'] as const;

/** An event's insert, compiled once (precompile.ts): every write records one (issue 15). */
const insertEventStatement = precompile(EVENT_COLUMNS, (db, p) =>
  db
    .insertInto('events')
    .values(p as unknown as Omit<NewEventRow, 'id'>)
    .returning('id'),
);

const eventValues = (e: Omit<NewEventRow, 'id'>): Record<(typeof EVENT_COLUMNS)[number], unknown> => ({
  type: e.type,
  occurred_at: e.occurred_at,
  company_id: e.company_id ?? null,
  actor_kind: e.actor_kind,
  actor_id: e.actor_id ?? null,
  client_ip: e.client_ip ?? null,
  request_id: e.request_id ?? null,
  target_kind: e.target_kind,
  target_id: e.target_id,
  data: e.data,
});

export async function insertEvent(db: Kysely<Database>, event: Omit<NewEventRow, 'id'>): Promise<number> {
  const row = (await insertEventStatement(db, eventValues(event)))[0];
  if (row === undefined) throw new Error('insert into events returned no id');
  return row.id;
}

/** insertEvent in a synchronous SQLite transaction (sync.ts). */
export function insertEventSync(trx: SyncTrx, event: Omit<NewEventRow, 'id'>): number {
  const row = trx.all(insertEventStatement.query(trx.kysely, eventValues(event)))[0];
  if (row === undefined) throw new Error('insert into events returned no id');
  return row.id;
}

export interface EventFilter {
  companyId?: number;
  types?: string[];
  /** ISO time: events at or after it. */
  since?: string;
  until?: string;
  actorKind?: string;
  actorId?: string;
  /** Keyset paging: events older than this id. */
  beforeId?: number;
  limit: number;
}

/** Newest first, with the company's code. */
export async function listEvents(db: Kysely<Database>, f: EventFilter): Promise<Array<EventRow & { company_code: string | null }>> {
  return db
    .selectFrom('events as e')
    .leftJoin('companies as c', 'c.id', 'e.company_id')
    .selectAll('e')
    .select('c.code as company_code')
    .$if(f.companyId !== undefined, (q) => q.where('e.company_id', '=', f.companyId!))
    .$if(f.types !== undefined && f.types.length > 0, (q) => q.where('e.type', 'in', f.types!))
    .$if(f.since !== undefined, (q) => q.where('e.occurred_at', '>=', f.since!))
    .$if(f.until !== undefined, (q) => q.where('e.occurred_at', '<', f.until!))
    .$if(f.actorKind !== undefined, (q) => q.where('e.actor_kind', '=', f.actorKind!))
    .$if(f.actorId !== undefined, (q) => q.where('e.actor_id', '=', f.actorId!))
    .$if(f.beforeId !== undefined, (q) => q.where('e.id', '<', f.beforeId!))
    .orderBy('e.id', 'desc')
    .limit(f.limit)
    .execute();
}

/**
 * Deletes up to `batch` of the oldest events that occurred before `before` (their deliveries go with
 * them): the number deleted. Batched so that a first prune of a long history stays within the
 * statement timeout; call it again while it returns `batch`.
 */
export async function pruneEvents(db: Kysely<Database>, before: string, batch: number): Promise<number> {
  const res = await db
    .deleteFrom('events')
    .where('id', 'in', (eb) => eb.selectFrom('events').select('id').where('occurred_at', '<', before).orderBy('id').limit(batch))
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}

const EVENT_TYPES: Record<(typeof EVENT_COLUMNS)[number], string> = {
  type: 'text',
  occurred_at: 'text',
  company_id: 'bigint',
  actor_kind: 'text',
  actor_id: 'text',
  client_ip: 'text',
  request_id: 'text',
  target_kind: 'text',
  target_id: 'text',
  data: 'text',
};

/**
 * PostgreSQL: any number of events in one statement, each column as one array (one fixed prepared
 * text); they take their ids in the order given (`order by` the arrays' ordinality).
 */
const insertEventsUnnest = precompile(EVENT_COLUMNS, (db, p) =>
  db
    .insertInto('events')
    .columns([...EVENT_COLUMNS])
    .expression(unnestRows(EVENT_COLUMNS, EVENT_TYPES, p)),
);

/** insertEventsUnnest, answering each new row's id and what identifies it in the list. */
const insertEventsUnnestReturning = precompile(EVENT_COLUMNS, (db, p) =>
  db
    .insertInto('events')
    .columns([...EVENT_COLUMNS])
    .expression(unnestRows(EVENT_COLUMNS, EVENT_TYPES, p))
    .returning(['id', 'type', 'target_id']),
);

/** Inserts many events, in order (see events/log.ts recordEvents). */
export async function insertEvents(db: Kysely<Database>, rows: ReadonlyArray<Omit<NewEventRow, 'id'>>): Promise<void> {
  if (rows.length === 0) return;
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await insertEventsUnnest(db, columnsOf(EVENT_COLUMNS, rows.map(eventValues)));
    return;
  }
  // SQLite: multi-row statements of a few fixed sizes (import-batches.ts chunks).
  for (const part of chunks(rows)) await db.insertInto('events').values(part).execute();
}

/**
 * insertEvents, answering each row's new id, in the order of `rows` (a delivery is written against
 * its event's id). One statement inserts the rows in the order given, and each takes the next id of
 * an ascending sequence, so sorted ids follow the rows; RETURNING promises no order, hence the sort.
 * That is checked, row by row, against each event's type and target: a database that numbered them
 * otherwise fails the write rather than hang one event's deliveries on another.
 */
export async function insertEventsReturningIds(db: Kysely<Database>, rows: ReadonlyArray<Omit<NewEventRow, 'id'>>): Promise<number[]> {
  if (rows.length === 0) return [];
  const back: Array<{ id: number; type: string; target_id: string }> = [];
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    back.push(...(await insertEventsUnnestReturning(db, columnsOf(EVENT_COLUMNS, rows.map(eventValues)))));
  } else {
    for (const part of chunks(rows)) back.push(...(await db.insertInto('events').values(part).returning(['id', 'type', 'target_id']).execute()));
  }
  back.sort((a, b) => a.id - b.id);
  if (back.length !== rows.length || back.some((r, i) => r.type !== rows[i]!.type || r.target_id !== rows[i]!.target_id)) {
    throw new Error('insert into events: the new ids do not follow the order of the rows');
  }
  return back.map((r) => r.id);
}
