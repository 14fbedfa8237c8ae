/**
 * Who is acting, for the events a service records: set once per request (or per CLI command, import
 * run, worker) and read by recordEvent, so that service signatures do not carry it. Node's
 * AsyncLocalStorage follows the request through every await.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Actor } from './types.js';

export interface EventContext {
  /** The request id (X-Request-Id), when the write came through HTTP. */
  requestId: string | null;
  /** The client address, when the write came through HTTP. */
  clientIp: string | null;
  /** Resolved lazily: an API's auth hook runs after the context opens. */
  actor(): Actor;
  /**
   * Called (inside the writer's transaction) when an event queued webhook deliveries: the HTTP app
   * wakes this node's webhook sender once the response is sent, when the transaction has committed.
   */
  deliveriesQueued?: () => void;
}

const storage = new AsyncLocalStorage<EventContext>();

const SYSTEM: EventContext = { requestId: null, clientIp: null, actor: () => ({ kind: 'system', id: null }) };

/** Runs `fn` (and everything it awaits) with `context` as the acting context. */
export function withEventContext<T>(context: EventContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** A fixed actor for a CLI command, an import run or a worker. */
export function actorContext(actor: Actor): EventContext {
  return { requestId: null, clientIp: null, actor: () => actor };
}

/** The acting context; roster itself when nothing set one. */
export function currentEventContext(): EventContext {
  return storage.getStore() ?? SYSTEM;
}
