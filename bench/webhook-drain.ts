/**
 * The webhook queue: how fast one node's sender drains a backlog for one endpoint (a receiver that
 * was down and is back), by backlog size. For each size: a fresh database, that many events of one
 * company recorded in one transaction with their deliveries, then a WebhookSender (the default
 * settings: 4 loops) started against a receiver in this process that answers 204 at once, timed
 * until the receiver has every delivery. On SQLite, and on PostgreSQL when DATABASE_URL_TEST is set.
 *
 *   npm run bench:webhooks
 *
 * Knobs: DRAIN_BACKLOGS (100,1000,5000), DRAIN_ONLY=sqlite|postgres.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config.js';
import { recordEventsOf } from '../src/events/log.js';
import type { Acting } from '../src/events/types.js';
import { WebhookSender } from '../src/events/webhook-sender.js';
import { openSecretBox } from '../src/infra/secret-key.js';
import { webhookQueueDb } from '../src/main.js';
import { buildServices } from '../src/services.js';
import { openDb } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { inTransaction } from '../src/store/transaction.js';
import { createTestDatabase } from '../test/fixtures/databases.js';

const BACKLOGS = (process.env.DRAIN_BACKLOGS ?? '100,1000,5000').split(',').map(Number);
const ONLY = process.env.DRAIN_ONLY;
const ADMIN = process.env.DATABASE_URL_TEST;
const quiet = { info() {}, warn() {}, error() {} };

async function drain(kind: 'sqlite' | 'postgres', backlog: number): Promise<{ seconds: number; rate: number; connections: number }> {
  let received = 0;
  let connections = 0;
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  receiver.on('connection', () => connections++);
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const database = await createTestDatabase(kind);
  const db = openDb(database.url, { poolSize: 10 });
  try {
    await migrateToLatest(db);
    const config = loadConfig({ ROSTER_SECRET_KEY: randomBytes(32).toString('base64'), WEBHOOK_ALLOW_PRIVATE: 'true', DATABASE_URL: database.url });
    const secrets = openSecretBox(config);
    const services = buildServices({ db, config, secrets });
    const company = await services.companies.create({ code: 'drain', name: 'Drain' });
    await services.webhooks.add({ companyCode: 'drain', url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook` });
    const acting: Acting = { actor: { kind: 'system', id: null }, requestId: null, clientIp: null };
    const now = new Date().toISOString();
    await inTransaction(db.kysely, (trx) =>
      recordEventsOf(
        trx,
        Array.from({ length: backlog }, (_, i) => ({
          acting,
          event: { type: 'user.created' as const, companyId: company.id, target: { kind: 'user', id: i }, data: { i } },
          now,
        })),
      ),
    );
    // As `roster serve` runs it: on PostgreSQL, a pool of its own whose commits do not wait for the disk.
    const queueDb = webhookQueueDb(config, db);
    const sender = new WebhookSender(queueDb, secrets, config.webhooks, quiet);
    const t0 = performance.now();
    sender.start();
    while (received < backlog) await new Promise((r) => setTimeout(r, 10));
    const seconds = (performance.now() - t0) / 1000;
    await sender.stop(1000);
    if (queueDb !== db) await queueDb.close();
    return { seconds, rate: backlog / seconds, connections };
  } finally {
    receiver.close();
    await db.close();
    await database.drop();
  }
}

async function main(): Promise<void> {
  const kinds = (['sqlite', 'postgres'] as const).filter((k) => (!ONLY || ONLY === k) && (k === 'sqlite' || ADMIN));
  console.log(`webhook backlog drained by one node's sender (4 loops), one endpoint answering 204 at once, Node ${process.version}\n`);
  console.log('| store | backlog | seconds | deliveries/s | connections opened |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const kind of kinds) {
    for (const backlog of BACKLOGS) {
      const r = await drain(kind, backlog);
      console.log(`| ${kind} | ${backlog} | ${r.seconds.toFixed(2)} | ${Math.round(r.rate)} | ${r.connections} |`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
