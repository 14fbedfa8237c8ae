/**
 * Prometheus metrics at GET /metrics (prom-client): request rate, latency and status per route,
 * the process (CPU, memory, event-loop lag, GC), the PostgreSQL pool and the mail outbox. Labels
 * are route patterns, never raw URLs, so their number stays bounded whatever clients send.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricsSources {
  /** PostgreSQL: the pool's connections right now. */
  poolStats?: () => { total: number; idle: number; waiting: number };
  /** The mail outbox by status (one database: the same on every node). */
  outboxCounts: () => Promise<Array<{ status: string; n: number }>>;
  /** Password verifications this process ran. */
  passwordVerifications?: () => number;
  /** Webhook deliveries by status, and when the oldest one still waiting was queued (one database: the same on every node). */
  webhookCounts?: () => Promise<{ byStatus: Array<{ status: string; n: number }>; oldestWaitingAt: string | undefined }>;
  /** Delivery attempts this process made, by outcome (delivered, retry, failed). */
  webhookOutcomes?: () => Readonly<Record<string, number>>;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Histogram<'method' | 'route' | 'status'>;

  constructor(sources: MetricsSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'roster_' });
    this.requests = new Histogram({
      name: 'roster_http_request_duration_seconds',
      help: 'HTTP requests by route pattern and status, with their duration',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    if (sources.poolStats) {
      const stats = sources.poolStats;
      new Gauge({
        name: 'roster_db_pool_connections',
        help: 'PostgreSQL pool connections of this process: total, idle, and requests waiting for one',
        labelNames: ['state'],
        registers: [this.registry],
        collect() {
          const s = stats();
          this.set({ state: 'total' }, s.total);
          this.set({ state: 'idle' }, s.idle);
          this.set({ state: 'waiting' }, s.waiting);
        },
      });
    }
    if (sources.passwordVerifications) {
      const count = sources.passwordVerifications;
      new Counter({
        name: 'roster_password_verifications_total',
        help: 'Password verifications (argon2id, and imported bcrypt or scrypt hashes) run by this process (logins of unknown emails included: they cost the same)',
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(count());
        },
      });
    }
    if (sources.webhookOutcomes) {
      const outcomes = sources.webhookOutcomes;
      new Counter({
        name: 'roster_webhook_attempts_total',
        help: 'Webhook delivery attempts made by this process, by outcome: delivered, retry (failed, to be retried) or failed (the last attempt failed)',
        labelNames: ['outcome'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const [outcome, n] of Object.entries(outcomes())) this.inc({ outcome }, n);
        },
      });
    }
    if (sources.webhookCounts) {
      const counts = sources.webhookCounts;
      // One query per scrape serves both gauges.
      let latest: ReturnType<typeof counts> | undefined;
      const read = () => (latest ??= counts().finally(() => setImmediate(() => (latest = undefined))));
      new Gauge({
        name: 'roster_webhook_deliveries',
        help: 'Webhook deliveries by status: pending and sending are the queue (shared by every node: one database)',
        labelNames: ['status'],
        registers: [this.registry],
        async collect() {
          this.reset();
          try {
            for (const { status, n } of (await read()).byStatus) this.set({ status }, n);
          } catch {
            // The database is away: /readyz says so; the scrape still answers.
          }
        },
      });
      new Gauge({
        name: 'roster_webhook_oldest_waiting_seconds',
        help: 'Age of the oldest webhook delivery not yet delivered or failed (0 when none waits)',
        registers: [this.registry],
        async collect() {
          try {
            const oldest = (await read()).oldestWaitingAt;
            this.set(oldest === undefined ? 0 : Math.max(0, (Date.now() - Date.parse(oldest)) / 1000));
          } catch {
            // As above.
          }
        },
      });
    }
    new Gauge({
      name: 'roster_outbox_messages',
      help: 'Mail outbox messages by status (shared by every node: one database)',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          for (const { status, n } of await sources.outboxCounts()) this.set({ status }, n);
        } catch {
          // The database is away: /readyz says so; the scrape still answers.
        }
      },
    });
  }

  observe(req: FastifyRequest, reply: FastifyReply): void {
    this.requests.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  }
}

export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics): void {
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
}
