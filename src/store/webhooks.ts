/** Webhook endpoints and their deliveries (a delivery row is written with its event). */
import type { Kysely } from 'kysely';
import type { Database, WebhookRow } from './schema.js';

/** The company's endpoints that want events of `type` (event_types null: every type). */
export async function webhooksFor(db: Kysely<Database>, companyId: number): Promise<Array<Pick<WebhookRow, 'id' | 'event_types'>>> {
  return db.selectFrom('webhooks').select(['id', 'event_types']).where('company_id', '=', companyId).execute();
}

export async function insertDeliveries(db: Kysely<Database>, eventId: number, webhookIds: string[], now: string): Promise<void> {
  if (webhookIds.length === 0) return;
  await db
    .insertInto('webhook_deliveries')
    .values(
      webhookIds.map((webhook_id) => ({
        webhook_id,
        event_id: eventId,
        status: 'pending' as const,
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
}
