/** `roster serve`: open the database, migrate, seed the demo tenant when new, listen, stop cleanly. */
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { seedDemo, type DemoCredentials } from './demo.js';
import { housekeeping } from './housekeeping.js';
import { OutboxSender } from './mail/outbox.js';
import { minRetrySpanMs, WebhookSender } from './events/webhook-sender.js';
import { MemoryCounterStore, ResilientCounterStore, type CounterStore } from './infra/counters.js';
import { RedisCounterStore } from './infra/redis-counters.js';
import type { ReadinessCheck } from './infra/health.js';
import { smtpTransport } from './mail/smtp.js';
import { buildApp } from './app.js';
import { buildServices, type Services } from './services.js';
import { openSecretBox } from './infra/secret-key.js';
import { openDb, redactUrl, type Db } from './store/db.js';
import { migrateOnStart } from './store/migrate.js';
import { setPasswordHashConcurrency } from './identity/passwords.js';

export interface Running {
  app: FastifyInstance;
  /** The service graph this node serves with. */
  services: Services;
  db: Db;
  counters: CounterStore;
  url: string;
  demo: DemoCredentials | undefined;
  close(): Promise<void>;
}

/** How often a node deletes expired sessions, dead email tokens and old settled mail. */
const HOUSEKEEPING_INTERVAL_MS = 3_600_000;

export async function start(config: Config): Promise<Running> {
  // Before anything opens: a PostgreSQL node without the shared key refuses to start.
  const secrets = openSecretBox(config);
  setPasswordHashConcurrency(config.passwordHashConcurrency);
  const db = openDb(config.databaseUrl, {
    poolSize: config.dbPoolSize,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    // SQLite: checkpoints off the event loop (store/checkpoints.ts).
    backgroundCheckpoints: true,
  });
  const queueDb = webhookQueueDb(config, db);
  // Logged once the server's logger exists.
  let log: FastifyInstance['log'] | undefined;
  const { counters, readiness, redisReady } = sharedCounters(config, (msg, err) => log?.warn({ err: { message: err.message } }, msg));
  let app: FastifyInstance | undefined;
  try {
    const [, redisUp] = await Promise.all([
      migrateOnStart(config.databaseUrl, db, { connectTimeoutMs: config.dbConnectTimeoutMs }),
      // Give Redis a moment to connect, so the first requests count there; start without it if not.
      redisReady?.(),
    ]);
    // SQLite: from here on, the server's savepoints journal in memory (store/db.ts). Set only now,
    // after the migrations, so that their sorts (an index built on a large table) could still
    // spill to temporary files.
    db.keepTemporaryDataInMemory?.();
    let sender: OutboxSender | undefined;
    const mailNotifier = { notify: () => sender?.notify() };
    // Started once the server listens; it logs through the server's logger.
    const webhookSender = new WebhookSender(queueDb, secrets, config.webhooks, {
      info: (obj, msg) => log?.info(obj, msg),
      warn: (obj, msg) => log?.warn(obj, msg),
      error: (obj, msg) => log?.error(obj, msg),
    });
    const services = buildServices({ db, config, counters, mail: mailNotifier, secrets });
    const demo = config.seedDemo ? await seedDemo(services) : undefined;
    const server = await buildApp({ config, db, counters, readiness, mail: mailNotifier, services, webhooks: webhookSender });
    app = server;
    log = server.log;
    if (redisUp === false) server.log.warn('redis unreachable at start: rate limits count per node until it answers');
    db.onConnectionError = (err) => server.log.warn({ err: { message: err.message } }, 'database connection lost');
    queueDb.onConnectionError = db.onConnectionError;
    await server.listen({ port: config.port, host: config.host });
    const { mail } = config;
    if (mail.smtpUrl) {
      sender = new OutboxSender(
        db,
        smtpTransport({ url: mail.smtpUrl, from: mail.from, timeoutMs: mail.smtpTimeoutMs }),
        { publicUrl: config.publicUrl, ...mail },
        server.log,
      );
      sender.start();
    } else {
      server.log.warn('SMTP_URL is not set: mail (verification links, reset codes) is not being sent; it waits in the outbox (`roster outbox list`)');
    }
    webhookSender.start();
    if (minRetrySpanMs(config.webhooks) < 3_600_000) {
      server.log.warn(
        { maxAttempts: config.webhooks.maxAttempts, minRetrySpanMs: minRetrySpanMs(config.webhooks) },
        'webhook retries span less than an hour (WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_BASE_MS, WEBHOOK_RETRY_MAX_MS): a receiver down for an hour can lose events',
      );
    }
    let tidying: Promise<void> = Promise.resolve();
    const tidy = () =>
      (tidying = housekeeping(db, new Date(), { auditRetentionDays: config.auditRetentionDays }).then(
        (n) => server.log.debug(n, 'housekeeping'),
        (err: unknown) => server.log.warn({ err: { message: (err as Error).message } }, 'housekeeping failed; will retry'),
      ));
    void tidy();
    const tidyTimer = setInterval(() => void tidy(), HOUSEKEEPING_INTERVAL_MS).unref();
    const addr = server.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
    return {
      app: server,
      services,
      db,
      counters,
      url,
      demo,
      close: async () => {
        // Within config.shutdownTimeoutMs whatever clients do. HTTP first, with most of the time:
        // no new connections, idle ones closed, in-flight requests answered with Connection: close;
        // what is still open when its share is up (a body sent a byte at a time, a client that
        // never reads) is cut. Then the workers and connections, each with what is left.
        const deadline = Date.now() + config.shutdownTimeoutMs;
        const left = () => Math.max(0, deadline - Date.now());
        clearInterval(tidyTimer);
        const cut = setTimeout(() => server.server.closeAllConnections(), Math.floor(config.shutdownTimeoutMs * 0.6));
        try {
          await server.close();
        } finally {
          clearTimeout(cut);
        }
        await within(tidying, left() / 5);
        await Promise.all([sender?.stop(left() / 3), webhookSender.stop(left() / 3)]);
        await within(counters.close(), left() / 2);
        await within(Promise.all([db.close(), queueDb !== db && queueDb.close()]), left());
      },
    };
  } catch (err) {
    // A port already taken, say: release everything already built, then report.
    await app?.close().catch(() => {});
    await counters.close().catch(() => {});
    await db.close().catch(() => {});
    if (queueDb !== db) await queueDb.close().catch(() => {});
    throw err;
  }
}

/**
 * What the webhook sender claims and settles deliveries on. PostgreSQL: a pool of its own, one
 * connection per sender loop, whose commits do not wait for the disk (DbOptions.asyncCommit): a
 * claim or an outcome lost in a crash of the server means a delivery sent again, which receivers
 * already have to accept, and a delivery costs two commits, the most of its time on PostgreSQL
 * (bench/README.md, round nine). SQLite: the one database (its commits do not wait for the disk
 * either: WAL, synchronous = NORMAL).
 */
export function webhookQueueDb(config: Config, db: Db): Db {
  if (db.kind !== 'postgres') return db;
  return openDb(config.databaseUrl, {
    poolSize: config.webhooks.concurrency,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    asyncCommit: true,
    applicationName: 'roster-webhooks',
  });
}

/** Waits for `work`, at most `ms` (its failure is its own to report: a stop goes on). */
async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, ms))))]);
  clearTimeout(timer);
}

/**
 * Rate-limit counters: in Redis when REDIS_URL is set, falling back to this node's memory while
 * Redis is unreachable (see ResilientCounterStore); in memory otherwise.
 */
function sharedCounters(
  config: Config,
  warn: (msg: string, err: Error) => void,
): { counters: CounterStore; readiness: ReadinessCheck[]; redisReady?: () => Promise<boolean> } {
  if (!config.redisUrl) return { counters: new MemoryCounterStore(), readiness: [] };
  const where = redactUrl(config.redisUrl);
  const redis = new RedisCounterStore(config.redisUrl, {
    prefix: config.redisKeyPrefix,
    onError: (err) => warn(`redis ${where} unreachable: rate limits are per node until it is back`, err),
  });
  let lastWarn = 0;
  const counters = new ResilientCounterStore(redis, new MemoryCounterStore(), (err) => {
    const now = Date.now();
    if (now - lastWarn < 10_000) return;
    lastWarn = now;
    warn('redis command failed: counting in memory on this node', err as Error);
  });
  return {
    counters,
    readiness: [{ name: 'redis', required: false, check: () => redis.ping() }],
    redisReady: () => redis.ready(2000),
  };
}

/** The text `npm start` prints once on a new database: the demo credentials and a curl per API. */
export function demoBanner(demo: DemoCredentials, url: string): string {
  const { widgetClient: w } = demo;
  return [
    '',
    '  roster created a demo company on this new database. These secrets are shown once; only',
    '  their digests are stored. Create your own with `npx roster company create` and friends.',
    '',
    `  company        ${demo.company.code} (id ${demo.company.id})`,
    `  widget client  clientId ${w.clientId}  clientSecret ${w.clientSecret}  (bot ${w.botId})`,
    `  API token      ${demo.apiToken.token}`,
    `  platform app   ${demo.platformApp.token}`,
    '',
    '  Jelou widget user:',
    `    curl -s -X POST ${url}/v1/widget/user \\`,
    `      -H 'Authorization: ${w.clientId}:${w.clientSecret}' \\`,
    `      -H 'Content-Type: application/json' \\`,
    `      -d '{"user":{"id":"11111111111","names":"Tester #1111","legalId":"1223334444"}}'`,
    '',
    '  Plazbot user:',
    `    curl -s -X POST ${url}/api/user \\`,
    `      -H 'Authorization: Bearer ${demo.apiToken.token}' \\`,
    `      -H 'Content-Type: application/json' \\`,
    `      -d '{"name":"Juan","lastName":"Pérez","email":"juan.perez@example.com","password":"Secure-Passphrase-123!","company":"${demo.company.code}","defaultStartWeek":1,"isExternalCreation":true}'`,
    '',
    '  Chatwoot Platform API (create an account, then see README for users and account users):',
    `    curl -s -X POST ${url}/platform/api/v1/accounts \\`,
    `      -H 'api_access_token: ${demo.platformApp.token}' \\`,
    `      -H 'Content-Type: application/json' \\`,
    `      -d '{"name":"Demo Account","locale":"en"}'`,
    '',
  ].join('\n');
}
