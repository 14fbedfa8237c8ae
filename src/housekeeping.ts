/**
 * Periodic clean-up that every node may run (deletes are idempotent): expired sessions, dead email
 * tokens, and outbox messages settled long ago.
 */
import type { Db } from './store/db.js';
import { purgeStaleEmailTokens } from './store/email-tokens.js';
import { purgeSettled } from './store/outbox.js';
import { purgeExpiredSessions } from './store/sessions.js';

export const RETENTION = {
  /** Used or expired email tokens are kept a day, so a late click still hears "already used". */
  emailTokensMs: 86_400_000,
  /** Sent, failed and cancelled mail stays visible to `roster outbox list` this long. */
  outboxMs: 30 * 86_400_000,
} as const;

export async function housekeeping(db: Db, now = new Date()): Promise<{ sessions: number; emailTokens: number; outbox: number }> {
  const t = now.getTime();
  return {
    sessions: await purgeExpiredSessions(db.kysely, now.toISOString()),
    emailTokens: await purgeStaleEmailTokens(db.kysely, new Date(t - RETENTION.emailTokensMs).toISOString()),
    outbox: await purgeSettled(db.kysely, new Date(t - RETENTION.outboxMs).toISOString()),
  };
}
