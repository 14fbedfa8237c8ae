/**
 * The one vocabulary of event types, shared by the audit trail and webhooks. Add a type here when a
 * capability adds a write; the CLI, the webhook filter and the docs read this list.
 */
export const EVENT_TYPES = [
  'widget_user.created',
  'widget_user.updated',
  'user.created',
  'user.updated',
  'user.deleted',
  'user.email_verified',
  'user.password_changed',
  'user.deactivated',
  'user.reactivated',
  'user.sessions_ended',
  'account.created',
  'account.updated',
  'account.deleted',
  'account_user.created',
  'account_user.updated',
  'account_user.deleted',
  'agent_bot.created',
  'agent_bot.updated',
  'agent_bot.deleted',
  'company.created',
  'company.updated',
  'credential.created',
  'credential.revoked',
  'webhook.created',
  'webhook.removed',
  'operator.created',
  'operator.removed',
  'user.password_reset_requested',
  'webhook.redelivered',
  'mail.retried',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export const isEventType = (value: string): value is EventType => (EVENT_TYPES as readonly string[]).includes(value);

/**
 * Who did it: an API credential (by its public id and kind, never its secret), a Plazbot session's
 * user, an unauthenticated request (a password reset by mailed code), an operator of the console,
 * the CLI, an import run, or roster itself (housekeeping).
 */
export interface Actor {
  kind: 'widget_client' | 'api_token' | 'platform_app' | 'scim_token' | 'session' | 'anonymous' | 'operator' | 'cli' | 'import' | 'system';
  /** The credential's public id, the operator's id, ...; null for the CLI and the system. */
  id: string | null;
}

/**
 * Who is acting and through which request: every write records it with its event. It travels
 * explicitly (an API principal carries it, the CLI and the import make their own), never in hidden
 * per-request state: AsyncLocalStorage would tax every promise of the server on Node 20.
 */
export interface Acting {
  actor: Actor;
  /** The request id (X-Request-Id), when the write came through HTTP. */
  requestId: string | null;
  /** The client address, when the write came through HTTP. */
  clientIp: string | null;
  /**
   * Called (inside the writer's transaction) when an event queued webhook deliveries: the HTTP app
   * wakes this node's webhook sender once the response is out, when the transaction has committed.
   */
  deliveriesQueued?: () => void;
}

/** Where an HTTP request came from: what an API adds to its principal's actor. */
export interface RequestOrigin {
  requestId: string;
  clientIp: string;
  /** See Acting.deliveriesQueued. */
  deliveriesQueued?: () => void;
}

export const actingAs = (actor: Actor, origin?: RequestOrigin): Acting => ({
  actor,
  requestId: origin?.requestId ?? null,
  clientIp: origin?.clientIp ?? null,
  ...(origin?.deliveriesQueued && { deliveriesQueued: origin.deliveriesQueued }),
});

/** The CLI on the server's shell. */
export const CLI: Acting = actingAs({ kind: 'cli', id: null });
/** roster itself (housekeeping, workers). */
export const SYSTEM: Acting = actingAs({ kind: 'system', id: null });

/** What a service says when it records an event; the rest (actor, request) comes from the context. */
export interface NewEvent {
  type: EventType;
  /** The company the target belongs to; null for installation-wide events. */
  companyId: number | null;
  target: { kind: string; id: string | number };
  /** The target as the API that wrote it presents it: never a password, hash or secret. */
  data: Record<string, unknown>;
}
