/** The event log: one row per write, in the writer's transaction. */
import type { Kysely } from 'kysely';
import type { Database, EventRow, NewEventRow } from './schema.js';

export async function insertEvent(db: Kysely<Database>, event: Omit<NewEventRow, 'id'>): Promise<number> {
  const row = await db.insertInto('events').values(event).returning('id').executeTakeFirstOrThrow();
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

/** Newest first. */
export async function listEvents(db: Kysely<Database>, f: EventFilter): Promise<EventRow[]> {
  return db
    .selectFrom('events')
    .selectAll()
    .$if(f.companyId !== undefined, (q) => q.where('company_id', '=', f.companyId!))
    .$if(f.types !== undefined && f.types.length > 0, (q) => q.where('type', 'in', f.types!))
    .$if(f.since !== undefined, (q) => q.where('occurred_at', '>=', f.since!))
    .$if(f.until !== undefined, (q) => q.where('occurred_at', '<', f.until!))
    .$if(f.actorKind !== undefined, (q) => q.where('actor_kind', '=', f.actorKind!))
    .$if(f.actorId !== undefined, (q) => q.where('actor_id', '=', f.actorId!))
    .$if(f.beforeId !== undefined, (q) => q.where('id', '<', f.beforeId!))
    .orderBy('id', 'desc')
    .limit(f.limit)
    .execute();
}

/** Deletes events that occurred before `before` (their deliveries go with them). */
export async function pruneEvents(db: Kysely<Database>, before: string): Promise<number> {
  const res = await db.deleteFrom('events').where('occurred_at', '<', before).executeTakeFirst();
  return Number(res.numDeletedRows);
}
