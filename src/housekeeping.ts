/**
 * Periodic clean-up that every node may run (deletes are idempotent): expired sessions, dead email
 * tokens, outbox messages and webhook deliveries settled long ago, and events past the audit
 * retention (AUDIT_RETENTION_DAYS).
 */
import type { Db } from './store/db.js';
import { purgeStaleEmailTokens } from './store/email-tokens.js';
import { purgeSettled } from './store/outbox.js';
import { purgeExpiredSessions } from './store/sessions.js';
import { pruneEvents } from './store/events.js';
import { purgeSettledDeliveries } from './store/webhooks.js';

export const RETENTION = {
  /** Used or expired email tokens are kept a day, so a late click still hears "already used". */
  emailTokensMs: 86_400_000,
  /** Sent, failed and cancelled mail stays visible to `roster outbox list` this long. */
  outboxMs: 30 * 86_400_000,
  /** Delivered and failed webhook deliveries stay visible to `roster webhook deliveries` this long. */
  webhookDeliveriesMs: 30 * 86_400_000,
} as const;

/** Events are pruned this many at a time, so that a first prune of a long history fits the statement timeout. */
const PRUNE_BATCH = 5000;
/** At most this many batches per run: the rest waits for the next run. */
const PRUNE_BATCHES = 100;

export interface HousekeepingOptions {
  /** Days an event stays in the audit trail; 0 keeps events for ever. */
  auditRetentionDays: number;
}

export async function housekeeping(
  db: Db,
  now = new Date(),
  opts: HousekeepingOptions = { auditRetentionDays: 365 },
): Promise<{ sessions: number; emailTokens: number; outbox: number; webhookDeliveries: number; events: number }> {
  const t = now.getTime();
  const result = {
    sessions: await purgeExpiredSessions(db.kysely, now.toISOString()),
    emailTokens: await purgeStaleEmailTokens(db.kysely, new Date(t - RETENTION.emailTokensMs).toISOString()),
    outbox: await purgeSettled(db.kysely, new Date(t - RETENTION.outboxMs).toISOString()),
    webhookDeliveries: await purgeSettledDeliveries(db.kysely, new Date(t - RETENTION.webhookDeliveriesMs).toISOString()),
    events: 0,
  };
  if (opts.auditRetentionDays > 0) {
    const before = new Date(t - opts.auditRetentionDays * 86_400_000).toISOString();
    for (let i = 0; i < PRUNE_BATCHES; i++) {
      const n = await pruneEvents(db.kysely, before, PRUNE_BATCH);
      result.events += n;
      if (n < PRUNE_BATCH) break;
    }
  }
  return result;
}
