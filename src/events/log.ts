/**
 * Records an event in the caller's transaction: the service that writes also records, so a failed
 * write records nothing and a committed one cannot lose its event. The company's webhook endpoints
 * that want the type get a delivery row in the same transaction (sent later by the worker).
 */
import type { Kysely } from 'kysely';
import * as events from '../store/events.js';
import type { Database } from '../store/schema.js';
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

export async function recordEvent(trx: Kysely<Database>, acting: Acting, event: NewEvent, now: string = new Date().toISOString()): Promise<RecordedEvent> {
  const { actor } = acting;
  const id = await events.insertEvent(trx, {
    type: event.type,
    occurred_at: now,
    company_id: event.companyId,
    actor_kind: actor.kind,
    actor_id: actor.id,
    client_ip: acting.clientIp,
    request_id: acting.requestId,
    target_kind: event.target.kind,
    target_id: String(event.target.id),
    data: JSON.stringify(event.data),
  });
  if (event.companyId === null) return { id, deliveries: 0 };
  const targets = (await webhooks.webhooksFor(trx, event.companyId)).filter((w) => wants(w.event_types, event.type)).map((w) => w.id);
  await webhooks.insertDeliveries(trx, id, targets, now);
  return { id, deliveries: targets.length };
}
