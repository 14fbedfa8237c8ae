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
import { isIP } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Kysely } from 'kysely';
import type { Db } from '../store/db.js';
import { inTransaction } from '../store/transaction.js';
import * as store from '../store/webhooks.js';
import type { Database, WebhookDeliveryRow } from '../store/schema.js';
import { checkedAddresses, checkedLookup, hostOf, OutboundUrlError, parseOutboundUrl, type ResolveAll } from '../infra/outbound.js';
import type { SecretBox } from '../infra/secret-box.js';
import type { WebhookConfig } from '../config.js';
import { DrainingLoops } from '../infra/draining-loops.js';
import { newUuid } from '../identity/secrets.js';
import { retryDelayMs, type Logger } from '../mail/outbox.js';

/** At most this many deliveries to one endpoint in a row by one loop before it searches the queue again. */
export const STREAK = 50;

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

/**
 * Connections kept open between attempts, one pool per sender: a receiver that gets many events is
 * not a TCP (and TLS) handshake per delivery. An unused connection is closed after
 * IDLE_CONNECTION_MS, or a second before the receiver's own `Keep-Alive: timeout=N` if that is sooner.
 */
export interface KeptConnections {
  http: http.Agent;
  https: https.Agent;
}

export const IDLE_CONNECTION_MS = 4000;

export function keptConnections(maxFreePerHost: number): KeptConnections {
  const o = { keepAlive: true, timeout: IDLE_CONNECTION_MS, maxFreeSockets: maxFreePerHost, scheduling: 'lifo' as const };
  return { http: new http.Agent(o), https: new https.Agent(o) };
}

export interface PostOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  resolve?: ResolveAll;
  /**
   * Where to keep connections; without, each attempt opens its own and closes it. A pool keys its
   * connections by host and port alone: use one pool with one `allowPrivate` (a connection it keeps
   * was checked under the setting it was opened with).
   */
  connections?: KeptConnections;
  /** Once aborted (the sender stopping), a request on a kept connection that was closed is not sent again. */
  stopping?: AbortSignal;
}

/** How often an attempt that found its kept connection closed by the receiver is sent again on another. */
const STALE_RETRIES = 2;

/**
 * One POST: no redirects, a bounded response, a time limit; never throws. A kept connection the
 * receiver closed while it sat unused (a reset before any answer, on a reused socket) is not a
 * failed attempt: the request is sent again at once, on another connection.
 */
export async function postOnce(rawUrl: string, body: string, headers: Record<string, string>, opts: PostOptions): Promise<AttemptResult> {
  let url: URL;
  try {
    url = parseOutboundUrl(rawUrl);
    // An address literal never reaches `lookup`: it is checked here. A name is checked by lookup,
    // on the addresses a new connection then uses (a kept one was checked when it was made).
    const host = hostOf(url);
    if (isIP(host) !== 0) await checkedAddresses(host, opts);
  } catch (err) {
    return { ok: false, statusCode: null, error: `refused: ${(err as Error).message}` };
  }
  const payload = Buffer.from(body, 'utf8');
  const deadline = Date.now() + opts.timeoutMs;
  for (let retries = 0; ; retries++) {
    const r = await sendOn(url, payload, headers, opts, Math.max(0, deadline - Date.now()));
    if (!r.staleConnection || retries === STALE_RETRIES || opts.stopping?.aborted) return { ok: r.ok, statusCode: r.statusCode, error: r.error };
  }
}

function sendOn(
  url: URL,
  payload: Buffer,
  headers: Record<string, string>,
  opts: PostOptions,
  msLeft: number,
): Promise<AttemptResult & { staleConnection?: boolean }> {
  const client = url.protocol === 'https:' ? https : http;
  const agent = opts.connections ? opts.connections[url.protocol === 'https:' ? 'https' : 'http'] : false;
  return new Promise((resolve) => {
    let settled = false;
    let answered = false;
    const finish = (r: AttemptResult & { staleConnection?: boolean }, keepConnection = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A response read to its end leaves its connection to the pool; anything else closes it.
      if (!keepConnection) req.destroy();
      resolve(r);
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        agent,
        lookup: checkedLookup(opts),
        headers: { 'content-type': 'application/json', 'content-length': String(payload.length), 'user-agent': 'roster-webhooks', ...headers },
      },
      (res) => {
        answered = true;
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const done = (ended: boolean) => {
          const text = Buffer.concat(chunks).toString('utf8').slice(0, ERROR_TEXT);
          let r: AttemptResult;
          if (status >= 200 && status < 300) r = { ok: true, statusCode: status, error: null };
          else if (status >= 300 && status < 400)
            r = { ok: false, statusCode: status, error: `redirect not followed (to ${String(res.headers.location ?? '?').slice(0, 200)})` };
          else r = { ok: false, statusCode: status, error: `HTTP ${status}${text ? `: ${text}` : ''}` };
          // A receiver may answer before it has read the whole request: that connection is closed too.
          finish(r, ended && req.writableFinished);
        };
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= RESPONSE_BYTES) chunks.push(chunk);
          else done(false); // enough read: the rest is not waited for
        });
        res.on('end', () => done(true));
        res.on('error', (err) => finish({ ok: false, statusCode: status, error: err.message }));
      },
    );
    const timer = setTimeout(() => finish({ ok: false, statusCode: null, error: `no answer within ${opts.timeoutMs} ms` }), msLeft);
    req.on('error', (err: NodeJS.ErrnoException) => {
      const refused = err instanceof OutboundUrlError;
      finish({
        ok: false,
        statusCode: null,
        error: `${refused ? 'refused: ' : ''}${err.message}`.slice(0, ERROR_TEXT),
        staleConnection: !answered && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE'),
      });
    });
    req.end(payload);
  });
}

/** The background worker: one per node; start() after listen, stop() before the database closes. */
export class WebhookSender {
  private readonly loops: DrainingLoops;
  private readonly connections: KeptConnections;
  private readonly stopping = new AbortController();
  /** By loop: the endpoint it delivered to last, that delivery, and how many in a row (sendOne). */
  private readonly streaks: Array<{ webhookId: string; lastId: number; length: number } | undefined> = [];
  private readonly postOptions: PostOptions;

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
    private readonly opts: WebhookSenderOptions,
    private readonly log: Logger,
  ) {
    this.connections = keptConnections(opts.concurrency);
    this.postOptions = {
      timeoutMs: opts.timeoutMs,
      allowPrivate: opts.allowPrivate,
      resolve: opts.resolve,
      connections: this.connections,
      stopping: this.stopping.signal,
    };
    this.loops = new DrainingLoops({
      concurrency: opts.concurrency,
      pollMs: opts.pollMs,
      takeOne: (loop) => this.sendOne(loop),
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
    // An attempt still running past the grace loses its connection, and is not sent again for it.
    this.stopping.abort();
    this.connections.http.destroy();
    this.connections.https.destroy();
  }

  /**
   * Claims and sends one due delivery; false when none was due (or every due one was taken). A loop
   * that has just delivered to an endpoint claims that endpoint's next due delivery directly, up to
   * STREAK in a row, and searches the queue only when there is none (or after a failed attempt, or
   * at the end of a streak, so that other endpoints get their turn): the search reads every due
   * delivery, a claim of the next one an index entry.
   */
  async sendOne(loop = 0): Promise<boolean> {
    const now = new Date();
    const claim = { now: now.toISOString(), leaseUntil: new Date(now.getTime() + this.opts.leaseMs).toISOString() };
    const streak = this.streaks[loop];
    this.streaks[loop] = undefined;
    if (streak !== undefined) {
      const claimId = newUuid();
      const row = await this.claim(streak.webhookId, (trx) => store.claimNextDelivery(trx, streak.webhookId, streak.lastId, { ...claim, claimId }));
      if (row) {
        await this.deliver(row, claimId, loop, streak.length + 1);
        return true;
      }
    }
    const candidates = await store.dueDeliveries(this.db.kysely, claim.now, 20);
    const seen = new Set<string>();
    for (const c of candidates) {
      // Only each endpoint's oldest: a later one must not overtake it.
      if (seen.has(c.webhook_id)) continue;
      seen.add(c.webhook_id);
      const claimId = newUuid();
      const row = await this.claim(c.webhook_id, (trx) => store.claimDelivery(trx, c.id, { ...claim, claimId }));
      if (!row) continue; // another node (or worker) took it, or its endpoint is busy
      await this.deliver(row, claimId, loop, 1);
      return true;
    }
    return false;
  }

  /** A claim, in a transaction that holds the endpoint's lock; undefined when it found nothing to take. */
  private claim(webhookId: string, take: (trx: Kysely<Database>) => Promise<store.ClaimedDelivery | undefined>): Promise<store.ClaimedDelivery | undefined> {
    return inTransaction(this.db.kysely, async (trx) => ((await store.lockWebhook(trx, webhookId)) ? take(trx) : undefined));
  }

  private async deliver(row: store.ClaimedDelivery, claimId: string, loop: number, length: number): Promise<void> {
    const meta = { deliveryId: row.id, webhookId: row.webhook_id, eventId: row.event_id, attempt: row.attempts };
    let secret: string;
    try {
      secret = this.secrets.open(row.secret_sealed);
    } catch (err) {
      await this.settle(row, claimId, { ok: false, statusCode: null, error: `cannot open the signing secret: ${(err as Error).message}` }, true);
      return;
    }
    const body = webhookPayload(row);
    const headers = signedHeaders(secret, `evt_${row.event_id}`, new Date(), body);
    const result = await postOnce(row.url, body, headers, this.postOptions);
    await this.settle(row, claimId, result, false);
    if (result.ok) {
      this.log.info({ ...meta, status: result.statusCode }, 'webhooks: delivered');
      if (length < STREAK) this.streaks[loop] = { webhookId: row.webhook_id, lastId: row.id, length };
    }
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
    if (settled) return;
    // Removing an endpoint drops its deliveries, this one too: not a lease too short.
    if ((await store.findDelivery(this.db.kysely, row.id)) === undefined) this.log.info(meta, 'webhooks: the endpoint was removed during the attempt');
    else this.log.warn(meta, 'webhooks: attempt ended after the claim had lapsed (WEBHOOK_LEASE_MS too short?)');
  }
}
