/**
 * The mail outbox. Several roster nodes may share one database: a node claims a due message with
 * one conditional UPDATE (compare-and-set on status and lease), so exactly one node sends it; a
 * claim whose node died is taken over once its lease has passed. The same queries run on SQLite
 * and PostgreSQL.
 */
import type { Kysely } from 'kysely';
import type { Database, NewOutboxMessage, OutboxRow, OutboxStatus } from './schema.js';

export async function enqueue(db: Kysely<Database>, msg: Omit<NewOutboxMessage, 'id'>): Promise<number> {
  const row = await db.insertInto('outbox').values(msg).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Queues a message unless one that a unique index forbids a second of is already waiting (at most
 * one verification mail per user waits: migration 005). The id, or undefined when one was waiting.
 */
export async function enqueueUnlessWaiting(db: Kysely<Database>, msg: Omit<NewOutboxMessage, 'id'>): Promise<number | undefined> {
  const rows = await db
    .insertInto('outbox')
    .values(msg)
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .execute();
  return rows[0]?.id;
}

/** Ids of messages that are due now: pending and due, or 'sending' with a lapsed lease. */
export async function dueIds(db: Kysely<Database>, now: string, limit: number): Promise<number[]> {
  const rows = await db
    .selectFrom('outbox')
    .select('id')
    .where((eb) =>
      eb.or([eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', now)]), eb.and([eb('status', '=', 'sending'), eb('lease_until', '<', now)])]),
    )
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Claims one message for sending. The WHERE repeats the "due" condition, so when two nodes race
 * for a row only the first UPDATE matches (PostgreSQL re-checks it on the locked row; SQLite has
 * one writer); the loser gets undefined.
 */
export async function claim(db: Kysely<Database>, id: number, c: { claimId: string; now: string; leaseUntil: string }): Promise<OutboxRow | undefined> {
  return db
    .updateTable('outbox')
    .set((eb) => ({
      status: 'sending' as const,
      claimed_by: c.claimId,
      lease_until: c.leaseUntil,
      attempts: eb('attempts', '+', 1),
      updated_at: c.now,
    }))
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', c.now)]),
        eb.and([eb('status', '=', 'sending'), eb('lease_until', '<', c.now)]),
      ]),
    )
    .returningAll()
    .executeTakeFirst();
}

/** Settles a claimed message; false when the claim was lost (its lease lapsed and another node took it). */
export async function settle(
  db: Kysely<Database>,
  id: number,
  claimId: string,
  outcome: { status: Exclude<OutboxStatus, 'sending'>; now: string; nextAttemptAt?: string; lastError?: string | null },
): Promise<boolean> {
  const res = await db
    .updateTable('outbox')
    .set({
      status: outcome.status,
      claimed_by: null,
      lease_until: null,
      updated_at: outcome.now,
      ...(outcome.status === 'sent' && { sent_at: outcome.now, last_error: null }),
      ...(outcome.nextAttemptAt !== undefined && { next_attempt_at: outcome.nextAttemptAt }),
      ...(outcome.lastError !== undefined && { last_error: outcome.lastError }),
    })
    .where('id', '=', id)
    .where('claimed_by', '=', claimId)
    .where('status', '=', 'sending')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function list(db: Kysely<Database>, opts: { status?: OutboxStatus; limit: number }): Promise<OutboxRow[]> {
  let q = db.selectFrom('outbox').selectAll();
  if (opts.status) q = q.where('status', '=', opts.status);
  return q.orderBy('id', 'desc').limit(opts.limit).execute();
}

/** Housekeeping: settled messages (sent, failed, cancelled) last touched before `before`. */
export async function purgeSettled(db: Kysely<Database>, before: string): Promise<number> {
  const res = await db.deleteFrom('outbox').where('status', 'in', ['sent', 'failed', 'cancelled']).where('updated_at', '<', before).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** How many messages are in each status, for metrics. */
export async function countByStatus(db: Kysely<Database>): Promise<Array<{ status: string; n: number }>> {
  const rows = await db
    .selectFrom('outbox')
    .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  return rows.map((r) => ({ status: String(r.status), n: Number(r.n) }));
}

/** Queues a failed message again, due now with a fresh set of attempts; the row, or undefined when it is not a failed message. */
export async function retryFailed(db: Kysely<Database>, id: number, now: string): Promise<OutboxRow | undefined> {
  return db
    .updateTable('outbox')
    .set({ status: 'pending', attempts: 0, next_attempt_at: now, last_error: null, claimed_by: null, lease_until: null, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'failed')
    .returningAll()
    .executeTakeFirst();
}
