/**
 * The webhook delivery worker. Deliveries are rows written with their event (events/log.ts); this
 * worker, on every node, claims due ones with one conditional UPDATE and a lease (as the mail outbox
 * does), so one node sends a delivery at a time, and a node that dies mid-send loses its claim when
 * the lease lapses. It is woken when this node queues a delivery, and polls for the others.
 *
 * Per endpoint: one delivery in flight at a time, the oldest due first, so a receiver that keeps up
 * sees events in order; a delivery waiting for a retry does not hold the later ones back.
 *
 * Each attempt POSTs `{"type","timestamp","data"}` signed as Standard Webhooks specify (headers
 * webhook-id, webhook-timestamp, webhook-signature, by the `standardwebhooks` reference library),
 * connects only to addresses checked as public (unless private targets are allowed), follows no
 * redirect, reads at most RESPONSE_BYTES of the answer, and gives up after `timeoutMs`. A 2xx answer
 * delivers; anything else is retried with jittered exponential backoff, up to `maxAttempts`.
 */
import http from 'node:http';
import https from 'node:https';
import { Webhook } from 'standardwebhooks';
import type { Db } from '../store/db.js';
import { inTransaction } from '../store/transaction.js';
import * as store from '../store/webhooks.js';
import type { WebhookDeliveryRow } from '../store/schema.js';
import { checkedAddresses, checkedLookup, hostOf, parseOutboundUrl, type ResolveAll } from '../infra/outbound.js';
import type { SecretBox } from '../infra/secret-box.js';
import type { WebhookConfig } from '../config.js';
import { DrainingLoops } from '../infra/draining-loops.js';
import { newUuid } from '../identity/secrets.js';
import { retryDelayMs, type Logger } from '../mail/outbox.js';

/** At most this much of a response is read (kept, shortened, in last_error when it is a failure). */
export const RESPONSE_BYTES = 16 * 1024;
const ERROR_TEXT = 500;

/** The settings (WEBHOOK_* in config.ts), and what tests inject. */
export interface WebhookSenderOptions extends WebhookConfig {
  /** Resolves host names (tests inject one). */
  resolve?: ResolveAll;
}

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

/** Attempts this process made, by outcome (for metrics). */
const outcomes: Record<DeliveryOutcome, number> = { delivered: 0, retry: 0, failed: 0 };
export const webhookOutcomes = (): Readonly<Record<DeliveryOutcome, number>> => outcomes;

/** The least total time the retries of one delivery span (every jitter at its lowest). */
export function minRetrySpanMs(o: Pick<WebhookSenderOptions, 'maxAttempts' | 'retryBaseMs' | 'retryMaxMs'>): number {
  let total = 0;
  for (let attempt = 1; attempt < o.maxAttempts; attempt++) total += retryDelayMs(attempt, o.retryBaseMs, o.retryMaxMs, () => 0);
  return total;
}

/** The body of one delivery: its event's type, time and data (stored as JSON, sent as it is). */
export function webhookPayload(e: { type: string; occurred_at: string; data: string }): string {
  return `{"type":${JSON.stringify(e.type)},"timestamp":${JSON.stringify(e.occurred_at)},"data":${e.data}}`;
}

/** The Standard Webhooks headers of a payload: message id, Unix seconds, and the v1 signature. */
export function signedHeaders(secret: string, msgId: string, at: Date, payload: string): Record<string, string> {
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(msgId, at, payload),
  };
}

interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

/** One POST: no redirects, a bounded response, a time limit; never throws. */
export async function postOnce(
  rawUrl: string,
  body: string,
  headers: Record<string, string>,
  opts: { timeoutMs: number; allowPrivate: boolean; resolve?: ResolveAll },
): Promise<AttemptResult> {
  let url: URL;
  try {
    url = parseOutboundUrl(rawUrl);
    // An address literal never reaches `lookup`: it is checked here. A name is checked by lookup,
    // on the addresses the connection then uses.
    await checkedAddresses(hostOf(url), opts);
  } catch (err) {
    return { ok: false, statusCode: null, error: `refused: ${(err as Error).message}` };
  }
  const payload = Buffer.from(body, 'utf8');
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        agent: false,
        lookup: checkedLookup(opts),
        headers: { 'content-type': 'application/json', 'content-length': String(payload.length), 'user-agent': 'roster-webhooks', ...headers },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          const text = Buffer.concat(chunks).toString('utf8').slice(0, ERROR_TEXT);
          if (status >= 200 && status < 300) finish({ ok: true, statusCode: status, error: null });
          else if (status >= 300 && status < 400)
            finish({ ok: false, statusCode: status, error: `redirect not followed (to ${String(res.headers.location ?? '?').slice(0, 200)})` });
          else finish({ ok: false, statusCode: status, error: `HTTP ${status}${text ? `: ${text}` : ''}` });
        };
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= RESPONSE_BYTES) chunks.push(chunk);
          else done(); // enough read: the rest is not waited for
        });
        res.on('end', done);
        res.on('error', (err) => finish({ ok: false, statusCode: status, error: err.message }));
      },
    );
    const timer = setTimeout(() => finish({ ok: false, statusCode: null, error: `no answer within ${opts.timeoutMs} ms` }), opts.timeoutMs);
    req.on('error', (err) => finish({ ok: false, statusCode: null, error: err.message.slice(0, ERROR_TEXT) }));
    req.end(payload);
  });
}

/** The background worker: one per node; start() after listen, stop() before the database closes. */
export class WebhookSender {
  private readonly loops: DrainingLoops;

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
    private readonly opts: WebhookSenderOptions,
    private readonly log: Logger,
  ) {
    this.loops = new DrainingLoops({
      concurrency: opts.concurrency,
      pollMs: opts.pollMs,
      takeOne: () => this.sendOne(),
      onError: (err) => this.log.warn({ err: { message: (err as Error).message } }, 'webhooks: cannot read the queue; will retry'),
    });
  }

  start(): void {
    this.loops.start();
  }

  notify(): void {
    this.loops.notify();
  }

  /** Stops claiming and waits (at most `graceMs`) for the attempts in flight. */
  async stop(graceMs = this.opts.timeoutMs + 1000): Promise<void> {
    await this.loops.stop(graceMs);
  }

  /** Claims and sends one due delivery; false when none was due (or every due one was taken). */
  async sendOne(): Promise<boolean> {
    const now = new Date();
    const nowText = now.toISOString();
    const candidates = await store.dueDeliveries(this.db.kysely, nowText, 20);
    const seen = new Set<string>();
    for (const c of candidates) {
      // Only each endpoint's oldest: a later one must not overtake it.
      if (seen.has(c.webhook_id)) continue;
      seen.add(c.webhook_id);
      const claimId = newUuid();
      const row = await inTransaction(this.db.kysely, async (trx) => {
        if (!(await store.lockWebhook(trx, c.webhook_id))) return undefined;
        return store.claimDelivery(trx, c.id, { claimId, now: nowText, leaseUntil: new Date(now.getTime() + this.opts.leaseMs).toISOString() });
      });
      if (!row) continue; // another node (or worker) took it, or its endpoint is busy
      await this.deliver(row, claimId);
      return true;
    }
    return false;
  }

  private async deliver(row: WebhookDeliveryRow, claimId: string): Promise<void> {
    const meta = { deliveryId: row.id, webhookId: row.webhook_id, eventId: row.event_id, attempt: row.attempts };
    const out = await store.loadOutgoing(this.db.kysely, row.id);
    if (!out) return; // the endpoint was removed meanwhile: its deliveries went with it
    let secret: string;
    try {
      secret = this.secrets.open(out.secret_sealed);
    } catch (err) {
      await this.settle(row, claimId, { ok: false, statusCode: null, error: `cannot open the signing secret: ${(err as Error).message}` }, true);
      return;
    }
    const body = webhookPayload(out);
    const headers = signedHeaders(secret, `evt_${out.event_id}`, new Date(), body);
    const result = await postOnce(out.url, body, headers, this.opts);
    await this.settle(row, claimId, result, false);
    if (result.ok) this.log.info({ ...meta, status: result.statusCode }, 'webhooks: delivered');
  }

  private async settle(row: WebhookDeliveryRow, claimId: string, r: AttemptResult, permanent: boolean): Promise<void> {
    const meta = { deliveryId: row.id, webhookId: row.webhook_id, eventId: row.event_id, attempt: row.attempts, status: r.statusCode, error: r.error };
    const now = new Date();
    let outcome: DeliveryOutcome;
    let settled: boolean;
    if (r.ok) {
      outcome = 'delivered';
      settled = await store.settleDelivery(this.db.kysely, row.id, claimId, {
        status: 'delivered',
        now: now.toISOString(),
        statusCode: r.statusCode,
        error: null,
      });
    } else if (permanent || row.attempts >= this.opts.maxAttempts) {
      outcome = 'failed';
      settled = await store.settleDelivery(this.db.kysely, row.id, claimId, {
        status: 'failed',
        now: now.toISOString(),
        statusCode: r.statusCode,
        error: r.error,
      });
      this.log.error(meta, 'webhooks: giving up on a delivery after its last attempt');
    } else {
      outcome = 'retry';
      const delay = retryDelayMs(row.attempts, this.opts.retryBaseMs, this.opts.retryMaxMs);
      settled = await store.settleDelivery(this.db.kysely, row.id, claimId, {
        status: 'pending',
        now: now.toISOString(),
        nextAttemptAt: new Date(now.getTime() + delay).toISOString(),
        statusCode: r.statusCode,
        error: r.error,
      });
      this.log.warn({ ...meta, retryInMs: delay }, 'webhooks: attempt failed; will retry');
    }
    outcomes[outcome]++;
    if (!settled) this.log.warn(meta, 'webhooks: attempt ended after the claim had lapsed (WEBHOOK_LEASE_MS too short?)');
  }
}
