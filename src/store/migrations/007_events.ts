import type { Kysely } from 'kysely';
import { autoId, type MigrationContext } from './helpers.js';

/**
 * The event log (audit trail) and webhooks. An event is written in the same transaction as the write
 * it records; a webhook delivery is a row written with the event and sent by a worker, the way the
 * mail outbox works. Webhook signing secrets are stored sealed (infra/secret-box.ts), never in clear.
 */
export function events(ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('events')
        .addColumn('id', ...autoId(ctx))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('occurred_at', 'text', (c) => c.notNull())
        .addColumn('company_id', 'bigint', (c) => c.references('companies.id').onDelete('set null'))
        .addColumn('actor_kind', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('client_ip', 'text')
        .addColumn('request_id', 'text')
        .addColumn('target_kind', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_company_idx').on('events').columns(['company_id', 'id']).execute();
      await db.schema.createIndex('events_type_idx').on('events').columns(['type', 'id']).execute();
      await db.schema.createIndex('events_occurred_idx').on('events').column('occurred_at').execute();

      await db.schema
        .createTable('webhooks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('company_id', 'bigint', (c) => c.notNull().references('companies.id').onDelete('cascade'))
        .addColumn('url', 'text', (c) => c.notNull())
        // A JSON array of event types; null means every type.
        .addColumn('event_types', 'text')
        .addColumn('secret_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhooks_company_idx').on('webhooks').column('company_id').execute();

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', ...autoId(ctx))
        .addColumn('webhook_id', 'text', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
        .addColumn('event_id', 'bigint', (c) => c.notNull().references('events.id').onDelete('cascade'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('claimed_by', 'text')
        .addColumn('lease_until', 'text')
        .addColumn('last_status_code', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('delivered_at', 'text')
        .execute();
      await db.schema.createIndex('webhook_deliveries_due_idx').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('webhook_deliveries_webhook_idx').on('webhook_deliveries').columns(['webhook_id', 'id']).execute();
      await db.schema.createIndex('webhook_deliveries_event_idx').on('webhook_deliveries').column('event_id').execute();
    },
  };
}
