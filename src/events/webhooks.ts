/**
 * Webhook endpoints of a company and their deliveries: what `roster webhook` and the admin console
 * manage. An endpoint gets a delivery of every event of its company whose type it wants (all types
 * when it names none), written with the event (events/log.ts) and sent by the delivery worker
 * (events/webhook-sender.ts), signed with the endpoint's secret as Standard Webhooks describe.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Db } from '../store/db.js';
import type { Database, WebhookDeliveryStatus, WebhookRow } from '../store/schema.js';
import { inTransaction } from '../store/transaction.js';
import * as store from '../store/webhooks.js';
import { nowIso } from '../infra/clock.js';
import { checkedAddresses, hostOf, OutboundUrlError, parseOutboundUrl, type ResolveAll } from '../infra/outbound.js';
import type { SecretBox } from '../infra/secret-box.js';
import type { CompanyService } from '../identity/companies.js';
import { conflict, invalid, notFound } from '../identity/errors.js';
import { newPublicId } from '../identity/secrets.js';
import { recordEvent } from './log.js';
import { EVENT_TYPES, isEventType, SYSTEM, type Acting, type EventType } from './types.js';

export type { WebhookDeliveryStatus };
export const DELIVERY_STATUSES: readonly WebhookDeliveryStatus[] = ['pending', 'sending', 'delivered', 'failed'];

export interface Webhook {
  id: string;
  companyId: number;
  url: string;
  /** The event types it gets; null: every type. */
  eventTypes: EventType[] | null;
  createdAt: string;
}

export interface WebhookCreated {
  webhook: Webhook;
  /** The signing secret, `whsec_<base64>`: shown this once, stored only sealed. */
  secret: string;
}

export interface Delivery {
  id: number;
  webhookId: string;
  url: string;
  eventId: number;
  eventType: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface WebhookServiceOptions {
  /** WEBHOOK_ALLOW_PRIVATE: accept URLs whose host is loopback, link-local or private. */
  allowPrivate: boolean;
  /** Resolves host names (tests inject one). */
  resolve?: ResolveAll;
}

/** Standard Webhooks' secret form: `whsec_` and base64 of 32 random bytes. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

function parseTypes(text: string | null): EventType[] | null {
  if (text === null) return null;
  try {
    const list: unknown = JSON.parse(text);
    return Array.isArray(list) ? list.filter((t): t is EventType => typeof t === 'string' && isEventType(t)) : [];
  } catch {
    return [];
  }
}

export const toWebhook = (r: WebhookRow): Webhook => ({
  id: r.id,
  companyId: r.company_id,
  url: r.url,
  eventTypes: parseTypes(r.event_types),
  createdAt: r.created_at,
});

const toDelivery = (r: store.DeliveryListRow): Delivery => ({
  id: r.id,
  webhookId: r.webhook_id,
  url: r.url,
  eventId: r.event_id,
  eventType: r.event_type,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
});

/** The event data of an endpoint: what `webhook list` shows (never the secret). */
const webhookData = (w: Webhook) => ({ ...w });

const PUBLIC_ID_RE = /^[0-9a-f]{16}$/;

export class WebhookService {
  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
    private readonly companies: CompanyService,
    private readonly opts: WebhookServiceOptions,
  ) {}

  /**
   * Registers an endpoint. The URL must be http(s), and (unless private targets are allowed) its
   * host must resolve only to public addresses; the worker checks that again at every send.
   */
  async add(input: { companyCode: string; url: string; eventTypes?: readonly string[] }, acting: Acting = SYSTEM): Promise<WebhookCreated> {
    const company = await this.companies.get(input.companyCode);
    let url: URL;
    try {
      url = parseOutboundUrl(input.url.trim());
      await checkedAddresses(hostOf(url), this.opts);
    } catch (err) {
      if (err instanceof OutboundUrlError)
        throw invalid('INVALID_WEBHOOK_URL', `webhook URL refused: ${err.message}`, [{ field: 'url', message: err.message }]);
      throw err;
    }
    const wanted = input.eventTypes ?? [];
    const unknown = wanted.filter((t) => !isEventType(t));
    if (unknown.length > 0) {
      throw invalid(
        'UNKNOWN_EVENT_TYPE',
        `unknown event type ${unknown.map((t) => JSON.stringify(t.slice(0, 64))).join(', ')}; known: ${EVENT_TYPES.join(', ')}`,
        [{ field: 'event', message: 'is not a known event type' }],
      );
    }
    const types = wanted.length === 0 ? null : [...new Set(wanted)];
    const secret = newWebhookSecret();
    const now = nowIso();
    const row: WebhookRow = {
      id: newPublicId(),
      company_id: company.id,
      url: url.href,
      event_types: types && JSON.stringify(types),
      secret_sealed: this.secrets.seal(secret),
      created_at: now,
    };
    const webhook = toWebhook(row);
    await inTransaction(this.db.kysely, async (trx) => {
      await store.insertWebhook(trx, row);
      await recordEvent(
        trx,
        acting,
        { type: 'webhook.created', companyId: company.id, target: { kind: 'webhook', id: row.id }, data: webhookData(webhook) },
        now,
      );
    });
    return { webhook, secret };
  }

  async list(companyCode: string): Promise<Webhook[]> {
    const company = await this.companies.get(companyCode);
    return (await store.listWebhooks(this.db.kysely, company.id)).map(toWebhook);
  }

  /** Removes an endpoint; its deliveries, sent or not, go with it. */
  async remove(id: string, acting: Acting = SYSTEM): Promise<Webhook> {
    const removed = PUBLIC_ID_RE.test(id)
      ? await inTransaction(this.db.kysely, async (trx) => {
          const row = await store.deleteWebhook(trx, id);
          if (!row) return undefined;
          const webhook = toWebhook(row);
          await recordEvent(trx, acting, { type: 'webhook.removed', companyId: row.company_id, target: { kind: 'webhook', id }, data: webhookData(webhook) });
          return webhook;
        })
      : undefined;
    if (!removed) throw notFound('WEBHOOK_NOT_FOUND', `no webhook "${id.slice(0, 64)}"`);
    return removed;
  }

  /** A company's deliveries, newest first (keyset paging: pass the last id seen as `beforeId`). */
  async deliveries(q: { companyCode: string; status?: WebhookDeliveryStatus; beforeId?: number; limit?: number }): Promise<Delivery[]> {
    const company = await this.companies.get(q.companyCode);
    const rows = await store.listDeliveries(this.db.kysely, {
      companyId: company.id,
      ...(q.status !== undefined && { status: q.status }),
      ...(q.beforeId !== undefined && { beforeId: q.beforeId }),
      limit: Math.min(Math.max(1, q.limit ?? 100), 1000),
    });
    return rows.map(toDelivery);
  }

  /**
   * Sends a delivery again, now, with a fresh set of attempts (any status but in flight). From the
   * console (`acting` given) it must be a delivery of `companyId`, and records webhook.redelivered.
   */
  async redeliver(id: number, acting?: Acting, companyId?: number): Promise<Delivery> {
    const missing = () => notFound('DELIVERY_NOT_FOUND', `no webhook delivery ${id}`);
    if (!Number.isSafeInteger(id) || id < 1) throw missing();
    const now = nowIso();
    const result = await inTransaction(this.db.kysely, async (trx: Kysely<Database>) => {
      const found = await store.findDelivery(trx, id);
      if (!found || (companyId !== undefined && Number(found.company_id) !== companyId)) return 'missing' as const;
      if (!(await store.requeueDelivery(trx, id, now))) return 'busy' as const;
      const after = await store.findDelivery(trx, id);
      if (acting && after) {
        await recordEvent(trx, acting, {
          type: 'webhook.redelivered',
          companyId: Number(after.company_id),
          target: { kind: 'webhook_delivery', id },
          data: { ...toDelivery(after) },
        });
      }
      return after;
    });
    if (result === 'busy') throw conflict('DELIVERY_IN_FLIGHT', `delivery ${id} is being sent right now; try again when it settles`);
    if (result === 'missing' || result === undefined) throw missing();
    return toDelivery(result);
  }

  /** For metrics: deliveries per status, and when the oldest one still waiting was queued. */
  async counts(): Promise<{ byStatus: Array<{ status: string; n: number }>; oldestWaitingAt: string | undefined }> {
    const [byStatus, oldestWaitingAt] = await Promise.all([store.countDeliveriesByStatus(this.db.kysely), store.oldestWaitingDelivery(this.db.kysely)]);
    return { byStatus, oldestWaitingAt };
  }
}
