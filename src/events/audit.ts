/**
 * The audit trail: the event log read back, newest first, for `roster audit` and the admin console.
 * Filters by company, type, actor and time range; pages by keyset (the id of the last event seen),
 * so a page costs the same however deep it is.
 */
import type { Db } from '../store/db.js';
import * as store from '../store/events.js';
import type { EventRow } from '../store/schema.js';
import { invalid } from '../identity/errors.js';
import type { Actor, EventType } from './types.js';

export interface AuditEvent {
  id: number;
  type: string;
  occurredAt: string;
  companyId: number | null;
  companyCode: string | null;
  actor: { kind: string; id: string | null };
  clientIp: string | null;
  requestId: string | null;
  target: { kind: string; id: string };
  data: unknown;
}

export interface AuditQuery {
  companyId?: number;
  types?: readonly EventType[];
  actorKind?: Actor['kind'];
  actorId?: string;
  /** ISO 8601 times: events at or after `since`, before `until`. */
  since?: string;
  until?: string;
  /** Keyset paging: events older than this id (the page's `next`). */
  before?: number;
  /** 1-1000; default 100. */
  limit?: number;
}

export interface AuditPage {
  events: AuditEvent[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  next: number | null;
}

export const AUDIT_LIMITS = { default: 100, max: 1000 } as const;

/** Any ISO 8601 date-time Date understands, as stored (toISOString); a typed error otherwise. */
export function auditTime(value: string, field: string): string {
  const ok = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i.test(value.trim());
  const t = ok ? new Date(value.trim()) : undefined;
  if (!t || Number.isNaN(t.getTime())) {
    throw invalid('INVALID_TIME', `${field} must be an ISO 8601 time, e.g. 2026-01-31 or 2026-01-31T12:00:00Z (got "${value.slice(0, 64)}")`, [
      { field, message: 'is not an ISO 8601 time' },
    ]);
  }
  return t.toISOString();
}

function parseData(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const toAuditEvent = (r: EventRow & { company_code: string | null }): AuditEvent => ({
  id: r.id,
  type: r.type,
  occurredAt: r.occurred_at,
  companyId: r.company_id,
  companyCode: r.company_code,
  actor: { kind: r.actor_kind, id: r.actor_id },
  clientIp: r.client_ip,
  requestId: r.request_id,
  target: { kind: r.target_kind, id: r.target_id },
  data: parseData(r.data),
});

export class AuditLog {
  constructor(private readonly db: Db) {}

  async list(q: AuditQuery = {}): Promise<AuditPage> {
    const limit = q.limit ?? AUDIT_LIMITS.default;
    if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_LIMITS.max) {
      throw invalid('INVALID_LIMIT', `limit must be 1-${AUDIT_LIMITS.max}`, [{ field: 'limit', message: `1-${AUDIT_LIMITS.max}` }]);
    }
    const rows = await store.listEvents(this.db.kysely, {
      ...(q.companyId !== undefined && { companyId: q.companyId }),
      ...(q.types !== undefined && q.types.length > 0 && { types: [...q.types] }),
      ...(q.actorKind !== undefined && { actorKind: q.actorKind }),
      ...(q.actorId !== undefined && { actorId: q.actorId }),
      ...(q.since !== undefined && { since: auditTime(q.since, 'since') }),
      ...(q.until !== undefined && { until: auditTime(q.until, 'until') }),
      ...(q.before !== undefined && { beforeId: q.before }),
      limit: limit + 1,
    });
    const events = rows.slice(0, limit).map(toAuditEvent);
    return { events, next: rows.length > limit ? (events.at(-1)?.id ?? null) : null };
  }
}
