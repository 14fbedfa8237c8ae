import { sql, type Kysely } from 'kysely';

/**
 * The webhook sender, having delivered to an endpoint, claims that endpoint's next due delivery
 * directly (store/webhooks.ts, claimNextDelivery) instead of searching the whole queue again: the
 * search read every due delivery (PostgreSQL sorted them all by id; 17 ms a delivery at a backlog of
 * 30,000, so a drain slowed as its backlog grew). This partial index holds the pending deliveries
 * of each endpoint in id order, with when each is due, so that claim reads the index alone.
 */
export function webhookStreak() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // "if not exists": on PostgreSQL a large webhook_deliveries can have it built beforehand
      // without blocking writes, `create index concurrently` (docs/operations.md, migrations).
      await sql`create index if not exists webhook_deliveries_pending_idx on webhook_deliveries (webhook_id, id, next_attempt_at) where status = 'pending'`.execute(
        db,
      );
    },
  };
}
