import { sql, type Kysely } from 'kysely';

/**
 * The webhook queue's reads stay proportional to what is due, not to the backlog. For each
 * candidate the sender asks whether another delivery of its endpoint is in flight
 * (store/webhooks.ts); on SQLite that walked every delivery of the endpoint, so a backlog of 1,000
 * deliveries for one endpoint drained at 27 a second, and slower as it grew (bench/README.md,
 * round eight). A partial index (both stores have them) holds only the deliveries being sent.
 */
export function webhookQueue() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // "if not exists": on PostgreSQL a large webhook_deliveries can have it built beforehand
      // without blocking writes, `create index concurrently` (docs/operations.md, migrations).
      await sql`create index if not exists webhook_deliveries_sending_idx on webhook_deliveries (webhook_id, lease_until) where status = 'sending'`.execute(db);
    },
  };
}
