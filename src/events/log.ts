/**
 * Records an event in the caller's transaction: the service that writes also records, so a failed
 * write records nothing and a committed one cannot lose its event. The company's webhook endpoints
 * that want the type get a delivery row in the same transaction (sent later by the worker).
 */
import type { Kysely } from 'kysely';
import * as events from '../store/events.js';
import type { Database } from '../store/schema.js';
import type { SyncTrx } from '../store/sync.js';
import * as webhooks from '../store/webhooks.js';
import type { Acting, NewEvent } from './types.js';

export interface RecordedEvent {
  id: number;
  /** How many webhook deliveries were queued with it. */
  deliveries: number;
}

/** Wanted by an endpoint whose filter is null (every type) or lists the type. */
function wants(eventTypes: string | null, type: string): boolean {
  if (eventTypes === null) return true;
  try {
    const list: unknown = JSON.parse(eventTypes);
    return Array.isArray(list) && list.includes(type);
  } catch {
    return false;
  }
}

const eventRow = (acting: Acting, event: NewEvent, now: string) => ({
  type: event.type,
  occurred_at: now,
  company_id: event.companyId,
  actor_kind: acting.actor.kind,
  actor_id: acting.actor.id,
  client_ip: acting.clientIp,
  request_id: acting.requestId,
  target_kind: event.target.kind,
  target_id: String(event.target.id),
  data: JSON.stringify(event.data),
});

export async function recordEvent(trx: Kysely<Database>, acting: Acting, event: NewEvent, now: string = new Date().toISOString()): Promise<RecordedEvent> {
  const id = await events.insertEvent(trx, eventRow(acting, event, now));
  if (event.companyId === null) return { id, deliveries: 0 };
  const targets = (await webhooks.webhooksFor(trx, event.companyId)).filter((w) => wants(w.event_types, event.type)).map((w) => w.id);
  await webhooks.insertDeliveries(trx, id, targets, now);
  if (targets.length > 0) acting.deliveriesQueued?.();
  return { id, deliveries: targets.length };
}

/** recordEvent in a synchronous SQLite transaction (store/sync.ts): the same rows. */
export function recordEventSync(trx: SyncTrx, acting: Acting, event: NewEvent, now: string): RecordedEvent {
  const id = events.insertEventSync(trx, eventRow(acting, event, now));
  if (event.companyId === null) return { id, deliveries: 0 };
  const targets = webhooks
    .webhooksForSync(trx, event.companyId)
    .filter((w) => wants(w.event_types, event.type))
    .map((w) => w.id);
  webhooks.insertDeliveriesSync(trx, id, targets, now);
  if (targets.length > 0) acting.deliveriesQueued?.();
  return { id, deliveries: targets.length };
}

/**
 * Records many events in the caller's transaction (a batch of `roster import`), as recordEvent
 * records each: each company's webhook endpoints are looked up once, the events are written in
 * order in multi-row statements, and so are the deliveries of the ones an endpoint wants.
 */
export async function recordEvents(trx: Kysely<Database>, acting: Acting, list: readonly NewEvent[], now: string = new Date().toISOString()): Promise<void> {
  await recordEventsOf(
    trx,
    list.map((event) => ({ acting, event, now })),
  );
}

/** recordEvents for events of different requests (a group commit): each with its own acting and time. */
export async function recordEventsOf(trx: Kysely<Database>, list: ReadonlyArray<{ acting: Acting; event: NewEvent; now: string }>): Promise<void> {
  const endpoints = new Map<number, Array<{ id: string; event_types: string | null }>>();
  for (const { event } of list) {
    if (event.companyId !== null && !endpoints.has(event.companyId)) endpoints.set(event.companyId, await webhooks.webhooksFor(trx, event.companyId));
  }
  const targets = list.map(({ event }) =>
    event.companyId === null
      ? []
      : endpoints
          .get(event.companyId)!
          .filter((w) => wants(w.event_types, event.type))
          .map((w) => w.id),
  );
  const rows = list.map(({ acting, event, now }) => eventRow(acting, event, now));
  if (targets.every((t) => t.length === 0)) {
    await events.insertEvents(trx, rows);
    return;
  }
  // Deliveries need their events' ids.
  const ids = await events.insertEventsReturningIds(trx, rows);
  await webhooks.insertDeliveriesOf(
    trx,
    list.flatMap(({ now }, i) => targets[i]!.map((webhookId) => ({ eventId: ids[i]!, webhookId, now }))),
  );
  for (const [i, { acting }] of list.entries()) if (targets[i]!.length > 0) acting.deliveriesQueued?.();
}
