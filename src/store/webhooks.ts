/** Webhook endpoints and their deliveries (a delivery row is written with its event). */
import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type { Database, WebhookDeliveriesTable, WebhookDeliveryRow, WebhookDeliveryStatus, WebhookRow } from './schema.js';
import { forNoKeyUpdate } from './transaction.js';
import type { SyncTrx } from './sync.js';
import { precompile } from './precompile.js';
import { chunks } from './import-batches.js';

/** The company's endpoints that want events of `type` (event_types null: every type). */
export async function webhooksFor(db: Kysely<Database>, companyId: number): Promise<Array<Pick<WebhookRow, 'id' | 'event_types'>>> {
  return webhooksForStatement(db, { companyId });
}

/** webhooksFor in a synchronous SQLite transaction (sync.ts). */
export function webhooksForSync(trx: SyncTrx, companyId: number): Array<Pick<WebhookRow, 'id' | 'event_types'>> {
  return trx.all(webhooksForQuery(trx.kysely, companyId));
}

/** Compiled once (precompile.ts): every event of a company looks its endpoints up (issue 15). */
const webhooksForStatement = precompile(['companyId'], (db, p) =>
  db
    .selectFrom('webhooks')
    .select(['id', 'event_types'])
    .where('company_id', '=', p.companyId as unknown as number),
);
const webhooksForQuery = (db: Kysely<Database>, companyId: number) => webhooksForStatement.query(db, { companyId });

export async function insertDeliveries(db: Kysely<Database>, eventId: number, webhookIds: string[], now: string): Promise<void> {
  if (webhookIds.length === 0) return;
  await insertDeliveriesQuery(db, eventId, webhookIds, now).execute();
}

/** insertDeliveries in a synchronous SQLite transaction (sync.ts). */
export function insertDeliveriesSync(trx: SyncTrx, eventId: number, webhookIds: string[], now: string): void {
  if (webhookIds.length === 0) return;
  trx.all(insertDeliveriesQuery(trx.kysely, eventId, webhookIds, now));
}

/** Deliveries of many events at once (a group commit, an import batch): one row per (event, endpoint). */
export async function insertDeliveriesOf(db: Kysely<Database>, rows: ReadonlyArray<{ eventId: number; webhookId: string; now: string }>): Promise<void> {
  for (const part of chunks(rows)) {
    await db
      .insertInto('webhook_deliveries')
      .values(
        part.map((r) => ({
          webhook_id: r.webhookId,
          event_id: r.eventId,
          status: 'pending' as const,
          attempts: 0,
          next_attempt_at: r.now,
          created_at: r.now,
          updated_at: r.now,
        })),
      )
      .execute();
  }
}

const insertDeliveriesQuery = (db: Kysely<Database>, eventId: number, webhookIds: string[], now: string) =>
  db.insertInto('webhook_deliveries').values(
    webhookIds.map((webhook_id) => ({
      webhook_id,
      event_id: eventId,
      status: 'pending' as const,
      attempts: 0,
      next_attempt_at: now,
      created_at: now,
      updated_at: now,
    })),
  );

export async function insertWebhook(db: Kysely<Database>, w: WebhookRow): Promise<void> {
  await db.insertInto('webhooks').values(w).execute();
}

export async function listWebhooks(db: Kysely<Database>, companyId: number): Promise<WebhookRow[]> {
  return db.selectFrom('webhooks').selectAll().where('company_id', '=', companyId).orderBy('created_at').orderBy('id').execute();
}

/** Removes an endpoint (its deliveries go with it): the removed row. */
export async function deleteWebhook(db: Kysely<Database>, id: string): Promise<WebhookRow | undefined> {
  return db.deleteFrom('webhooks').where('id', '=', id).returningAll().executeTakeFirst();
}

/** A delivery with its event's type and its endpoint's company, for lists. */
export interface DeliveryListRow extends WebhookDeliveryRow {
  event_type: string;
  company_id: number;
  url: string;
}

const deliveryList = (db: Kysely<Database>) =>
  db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .selectAll('d')
    .select(['e.type as event_type', 'w.company_id', 'w.url']);

/** A company's deliveries, newest first; keyset paging by id. */
export async function listDeliveries(
  db: Kysely<Database>,
  f: { companyId: number; status?: WebhookDeliveryStatus; beforeId?: number; limit: number },
): Promise<DeliveryListRow[]> {
  return deliveryList(db)
    .where('w.company_id', '=', f.companyId)
    .$if(f.status !== undefined, (q) => q.where('d.status', '=', f.status!))
    .$if(f.beforeId !== undefined, (q) => q.where('d.id', '<', f.beforeId!))
    .orderBy('d.id', 'desc')
    .limit(f.limit)
    .execute();
}

export async function findDelivery(db: Kysely<Database>, id: number): Promise<DeliveryListRow | undefined> {
  return deliveryList(db).where('d.id', '=', id).executeTakeFirst();
}

/**
 * Queues a delivery again, due now with a fresh set of attempts, unless a node is sending it right
 * now (status sending with a live lease). True when it was queued.
 */
export async function requeueDelivery(db: Kysely<Database>, id: number, now: string): Promise<boolean> {
  const res = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: now, claimed_by: null, lease_until: null, updated_at: now, delivered_at: null })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('status', '<>', 'sending'), eb('lease_until', '<', now)]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Due: pending and due, or being sent by a node whose lease has lapsed (it died mid-send). */
const due = (now: string) => (eb: ExpressionBuilder<Database & { d: WebhookDeliveriesTable }, 'd'>) =>
  eb.or([
    eb.and([eb('d.status', '=', 'pending'), eb('d.next_attempt_at', '<=', now)]),
    eb.and([eb('d.status', '=', 'sending'), eb('d.lease_until', '<', now)]),
  ]);

/** Another delivery of the same endpoint is being sent (a live lease): webhook_deliveries_sending_idx. */
const inFlight = (now: string) => (eb: ExpressionBuilder<Database & { d: WebhookDeliveriesTable }, 'd'>) =>
  eb.exists(
    eb
      .selectFrom('webhook_deliveries as f')
      .select('f.id')
      .whereRef('f.webhook_id', '=', 'd.webhook_id')
      .whereRef('f.id', '<>', 'd.id')
      // A literal, so that SQLite sees at prepare time that webhook_deliveries_sending_idx (a
      // partial index on exactly this condition) applies.
      .where('f.status', '=', sql.lit('sending'))
      .where('f.lease_until', '>=', now),
  );

/** Due deliveries of endpoints with none in flight, oldest first. */
export async function dueDeliveries(db: Kysely<Database>, now: string, limit: number): Promise<Array<{ id: number; webhook_id: string }>> {
  return db
    .selectFrom('webhook_deliveries as d')
    .select(['d.id', 'd.webhook_id'])
    .where(due(now))
    .where((eb) => eb.not(inFlight(now)(eb)))
    .orderBy('d.id')
    .limit(limit)
    .execute();
}

/**
 * Locks the endpoint's row until the transaction ends (PostgreSQL), so its claims run one at a time.
 * FOR NO KEY UPDATE: a request inserting a delivery for the endpoint (a foreign key to it) never waits.
 */
export async function lockWebhook(trx: Kysely<Database>, id: string): Promise<boolean> {
  return (await forNoKeyUpdate(trx, trx.selectFrom('webhooks').select('id').where('id', '=', id)).executeTakeFirst()) !== undefined;
}

/** What a claimed delivery sends: its event and its endpoint. */
export interface OutgoingDelivery {
  url: string;
  secret_sealed: string;
  type: string;
  occurred_at: string;
  data: string;
}

export type ClaimedDelivery = WebhookDeliveryRow & OutgoingDelivery;

/**
 * Claims a due delivery for sending, unless another delivery of its endpoint is in flight, and
 * answers it with what it sends (its endpoint's URL and sealed secret, its event), read by the same
 * statement. The WHERE repeats both conditions, so of two nodes racing only one UPDATE matches; the
 * loser gets undefined. Run it after lockWebhook in one transaction (which also keeps the endpoint
 * from being removed under it).
 */
export async function claimDelivery(db: Kysely<Database>, id: number, c: Claim): Promise<ClaimedDelivery | undefined> {
  return claimWhere(db, { id }, c);
}

/**
 * Claims the endpoint's oldest pending due delivery after `afterId` (the one just delivered), as
 * claimDelivery would claim it once found (webhook_deliveries_pending_idx): what the sender does
 * next after a delivery, without searching the queue. Older ones (waiting for a retry when the
 * streak began) and one whose sender died (a lapsed lease) are left to the search. Starting past
 * `afterId` keeps the read short whatever plan the table's statistics give: a plan that walks the
 * primary key starts there rather than at the endpoint's first delivery.
 */
export async function claimNextDelivery(db: Kysely<Database>, webhookId: string, afterId: number, c: Claim): Promise<ClaimedDelivery | undefined> {
  return claimWhere(db, { nextOf: webhookId, afterId }, c);
}

interface Claim {
  claimId: string;
  now: string;
  leaseUntil: string;
}

async function claimWhere(db: Kysely<Database>, which: { id: number } | { nextOf: string; afterId: number }, c: Claim): Promise<ClaimedDelivery | undefined> {
  const row = await db
    .updateTable('webhook_deliveries as d')
    .set((eb) => ({
      status: 'sending' as const,
      claimed_by: c.claimId,
      lease_until: c.leaseUntil,
      attempts: eb('d.attempts', '+', 1),
      updated_at: c.now,
    }))
    .where((eb) =>
      'id' in which
        ? eb('d.id', '=', which.id)
        : eb(
            'd.id',
            '=',
            eb
              .selectFrom('webhook_deliveries as n')
              .select('n.id')
              .where('n.webhook_id', '=', which.nextOf)
              .where('n.id', '>', which.afterId)
              // A literal, so that SQLite sees at prepare time that the partial index applies.
              .where('n.status', '=', sql.lit('pending'))
              .where('n.next_attempt_at', '<=', c.now)
              .orderBy('n.id')
              .limit(1),
          ),
    )
    .where(due(c.now))
    .where((eb) => eb.not(inFlight(c.now)(eb)))
    .returningAll()
    // Scalar subqueries, since SQLite's RETURNING can name neither the tables of an UPDATE ... FROM
    // nor the updated table's alias: `webhook_id` and `event_id` are the claimed row's (neither
    // webhooks nor events has a column of that name).
    .returning((eb) => {
      const hook = eb.selectFrom('webhooks as w').where('w.id', '=', sql.ref<string>('webhook_id'));
      const event = eb.selectFrom('events as e').where('e.id', '=', sql.ref<number>('event_id'));
      return [
        hook.select('w.url').as('url'),
        hook.select('w.secret_sealed').as('secret_sealed'),
        event.select('e.type').as('type'),
        event.select('e.occurred_at').as('occurred_at'),
        event.select('e.data').as('data'),
      ];
    })
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const { url, secret_sealed, type, occurred_at, data } = row;
  if (url === null || secret_sealed === null || type === null || occurred_at === null || data === null) {
    throw new Error(`webhook delivery ${row.id} was claimed without its endpoint or its event`);
  }
  return { ...row, url, secret_sealed, type, occurred_at, data };
}

/** Settles a claimed delivery; false when the claim was lost (its lease lapsed and another node took it). */
export async function settleDelivery(
  db: Kysely<Database>,
  id: number,
  claimId: string,
  outcome: { status: Exclude<WebhookDeliveryStatus, 'sending'>; now: string; statusCode: number | null; error: string | null; nextAttemptAt?: string },
): Promise<boolean> {
  const res = await db
    .updateTable('webhook_deliveries')
    .set({
      status: outcome.status,
      claimed_by: null,
      lease_until: null,
      updated_at: outcome.now,
      last_status_code: outcome.statusCode,
      last_error: outcome.error,
      ...(outcome.status === 'delivered' && { delivered_at: outcome.now }),
      ...(outcome.nextAttemptAt !== undefined && { next_attempt_at: outcome.nextAttemptAt }),
    })
    .where('id', '=', id)
    .where('claimed_by', '=', claimId)
    .where('status', '=', 'sending')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Deliveries per status, for metrics and operators. */
export async function countDeliveriesByStatus(db: Kysely<Database>): Promise<Array<{ status: string; n: number }>> {
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  return rows.map((r) => ({ status: String(r.status), n: Number(r.n) }));
}

/** When the oldest delivery still waiting (pending or being sent) was queued; undefined when none waits. */
export async function oldestWaitingDelivery(db: Kysely<Database>): Promise<string | undefined> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .select((eb) => eb.fn.min('created_at').as('oldest'))
    .where('status', 'in', ['pending', 'sending'])
    .executeTakeFirst();
  return row?.oldest ?? undefined;
}

/** Housekeeping: delivered and failed deliveries last touched before `before`. */
export async function purgeSettledDeliveries(db: Kysely<Database>, before: string): Promise<number> {
  const res = await db.deleteFrom('webhook_deliveries').where('status', 'in', ['delivered', 'failed']).where('updated_at', '<', before).executeTakeFirst();
  return Number(res.numDeletedRows);
}
