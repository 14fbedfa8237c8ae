import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/databases.js';
import { hookedDialect } from '../../test/fixtures/statement-hook.js';
import { TEST_SECRET_KEY } from '../../test/fixtures/services.js';
import { openSecretBox } from '../infra/secret-key.js';
import { buildServices } from '../services.js';
import { openDb, type Db } from '../store/db.js';
import { migrateToLatest } from '../store/migrate.js';
import { inTransaction } from '../store/transaction.js';
import { recordEventsOf } from './log.js';
import { SYSTEM } from './types.js';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../config.js';
import { keptConnections, minRetrySpanMs, postOnce, RESPONSE_BYTES, signedHeaders, STREAK, WebhookSender, webhookPayload } from './webhook-sender.js';
import { newWebhookSecret } from './webhooks.js';

describe('webhook payload and signature', () => {
  const event = { type: 'user.created', occurred_at: '2026-01-31T12:00:00.000Z', data: '{"id":7,"email":"ana@example.com","name":"Ána"}' };

  it('is {"type","timestamp","data"} with the stored data as it is', () => {
    const body = webhookPayload(event);
    assert.deepEqual(JSON.parse(body), { type: 'user.created', timestamp: '2026-01-31T12:00:00.000Z', data: { id: 7, email: 'ana@example.com', name: 'Ána' } });
  });

  it('is signed so that the standardwebhooks library verifies it, and only it', () => {
    const secret = newWebhookSecret();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = webhookPayload(event);
    const headers = signedHeaders(secret, 'evt_42', new Date(), body);
    assert.equal(headers['webhook-id'], 'evt_42');
    assert.match(headers['webhook-timestamp']!, /^\d{10}$/);
    assert.match(headers['webhook-signature']!, /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body));
    assert.throws(() => new Webhook(secret).verify(body.replace('Ána', 'Ana'), headers), /No matching signature/);
    assert.throws(() => new Webhook(newWebhookSecret()).verify(body, headers), /No matching signature/);
  });
});

describe('the retry schedule', () => {
  const defaults = loadConfig({}).webhooks;

  it('by default, retries for more than an hour, the first within seconds', () => {
    assert.ok(minRetrySpanMs(defaults) > 3_600_000, `${minRetrySpanMs(defaults)} ms`);
    assert.ok(minRetrySpanMs({ ...defaults, maxAttempts: 2 }) <= 5000);
  });

  it('spans nothing with one attempt', () => {
    assert.equal(minRetrySpanMs({ ...defaults, maxAttempts: 1 }), 0);
  });

  it('refuses a time limit longer than half the lease', () => {
    assert.throws(() => loadConfig({ WEBHOOK_TIMEOUT_MS: '40000', WEBHOOK_LEASE_MS: '60000' }), /WEBHOOK_TIMEOUT_MS must be at most half of WEBHOOK_LEASE_MS/);
    assert.throws(() => loadConfig({ WEBHOOK_MAX_ATTEMPTS: '0' }), /WEBHOOK_MAX_ATTEMPTS/);
    assert.throws(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'maybe' }), /WEBHOOK_ALLOW_PRIVATE/);
  });
});

describe('one attempt (postOnce)', () => {
  let server: Server;
  let base: string;
  const hits: string[] = [];
  const handlers: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/ok': (_req, res) => res.writeHead(204).end(),
    '/fail': (_req, res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance'),
    '/redirect': (_req, res) => res.writeHead(302, { location: '/target' }).end(),
    '/target': (_req, res) => res.writeHead(200).end(),
    // A body without end, far past the bound.
    '/huge': (_req, res) => {
      hugeClosed = false;
      res.on('close', () => (hugeClosed = true));
      res.writeHead(500);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (res.write(chunk)) if (res.destroyed) return;
        res.once('drain', pump);
      };
      pump();
    },
    '/hang': () => {},
    // Closes the connection unanswered when it is not the connection's first request: what a
    // receiver does that shut an idle kept connection just as the request went out.
    '/closes-kept': (req, res) => {
      if (requestsOn.get(req.socket) === 1) res.writeHead(204).end();
      else req.socket.destroy();
    },
    '/drop': (req) => req.socket.destroy(),
  };
  let connections = 0;
  let hugeClosed = false;
  const requestsOn = new WeakMap<Socket, number>();

  before(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '';
      hits.push(path);
      requestsOn.set(req.socket, (requestsOn.get(req.socket) ?? 0) + 1);
      req.resume();
      req.on('end', () => handlers[path]?.(req, res));
    });
    server.on('connection', () => connections++);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  const post = (path: string, opts: { timeoutMs?: number; allowPrivate?: boolean } = {}) =>
    postOnce(`${base}${path}`, '{"type":"x"}', { 'webhook-id': 'evt_1' }, { timeoutMs: opts.timeoutMs ?? 5000, allowPrivate: opts.allowPrivate ?? true });

  it('delivers on a 2xx', async () => {
    assert.deepEqual(await post('/ok'), { ok: true, statusCode: 204, error: null });
  });

  it('keeps the status and the start of the body of a failure', async () => {
    assert.deepEqual(await post('/fail'), { ok: false, statusCode: 503, error: 'HTTP 503: down for maintenance' });
  });

  it('follows no redirect', async () => {
    hits.length = 0;
    const r = await post('/redirect');
    assert.equal(r.ok, false);
    assert.equal(r.statusCode, 302);
    assert.match(r.error!, /redirect not followed \(to \/target\)/);
    assert.deepEqual(hits, ['/redirect']);
  });

  it('reads a response only up to the bound', async () => {
    const started = Date.now();
    const r = await post('/huge', { timeoutMs: 20_000 });
    assert.equal(r.statusCode, 500);
    assert.ok(r.error!.length <= 600, 'the error keeps only the start of the body');
    assert.ok(Date.now() - started < 10_000, 'it did not wait for the endless body');
    assert.ok(RESPONSE_BYTES <= 64 * 1024);
  });

  it('gives up after the time limit', async () => {
    const started = Date.now();
    const r = await post('/hang', { timeoutMs: 300 });
    assert.deepEqual(r, { ok: false, statusCode: null, error: 'no answer within 300 ms' });
    assert.ok(Date.now() - started < 3000);
  });

  it('refuses a loopback target without connecting, unless private targets are allowed', async () => {
    hits.length = 0;
    const r = await post('/ok', { allowPrivate: false });
    assert.equal(r.ok, false);
    assert.equal(r.statusCode, null);
    assert.match(r.error!, /^refused: 127\.0\.0\.1 resolves to 127\.0\.0\.1, a loopback/);
    const byName = await postOnce(base.replace('127.0.0.1', 'localhost') + '/ok', '{}', {}, { timeoutMs: 5000, allowPrivate: false });
    assert.match(byName.error!, /^refused: localhost resolves to/);
    assert.deepEqual(hits, [], 'nothing reached the server');
  });

  it('never throws: a closed port and a bad URL are failed attempts', async () => {
    const closed = await postOnce('http://127.0.0.1:1/', '{}', {}, { timeoutMs: 2000, allowPrivate: true });
    assert.equal(closed.ok, false);
    assert.match(closed.error!, /ECONNREFUSED/);
    const bad = await postOnce('ftp://example.com/', '{}', {}, { timeoutMs: 2000, allowPrivate: true });
    assert.match(bad.error!, /^refused: the URL must be https: or http:/);
  });

  it('keeps one connection for attempts one after another, and closes it when told to', async () => {
    const kept = keptConnections(2);
    const opts = { timeoutMs: 5000, allowPrivate: true, connections: kept };
    const before = connections;
    for (const path of ['/ok', '/fail', '/ok']) await postOnce(`${base}${path}`, '{}', {}, opts);
    assert.equal(connections - before, 1, 'one connection for three attempts');
    kept.http.destroy();
    await postOnce(`${base}/ok`, '{}', {}, opts);
    assert.equal(connections - before, 2, 'a destroyed pool opens a new one');
    kept.http.destroy();
    const alone = connections;
    await post('/ok');
    await post('/ok');
    assert.equal(connections - alone, 2, 'without a pool, a connection per attempt');
  });

  it('closes the connection of a response it stopped reading', async () => {
    const kept = keptConnections(2);
    const opts = { timeoutMs: 20_000, allowPrivate: true, connections: kept };
    const before = connections;
    assert.equal((await postOnce(`${base}/huge`, '{}', {}, opts)).statusCode, 500);
    for (const until = Date.now() + 5000; !hugeClosed && Date.now() < until;) await new Promise((r) => setTimeout(r, 10));
    assert.ok(hugeClosed, 'the receiver saw its connection closed');
    assert.equal((await postOnce(`${base}/ok`, '{}', {}, opts)).ok, true);
    assert.equal(connections - before, 2);
    kept.http.destroy();
  });

  it('sends again, at once and on a new connection, when the receiver closed the kept one unanswered', async () => {
    const kept = keptConnections(2);
    const opts = { timeoutMs: 5000, allowPrivate: true, connections: kept };
    assert.equal((await postOnce(`${base}/closes-kept`, '{}', {}, opts)).ok, true);
    hits.length = 0;
    const before = connections;
    assert.deepEqual(await postOnce(`${base}/closes-kept`, '{}', {}, opts), { ok: true, statusCode: 204, error: null });
    assert.deepEqual(hits, ['/closes-kept', '/closes-kept'], 'sent on the kept connection, then on a new one');
    assert.equal(connections - before, 1);
    kept.http.destroy();
  });

  it('does not send again when a new connection is closed unanswered', async () => {
    const kept = keptConnections(2);
    hits.length = 0;
    const r = await postOnce(`${base}/drop`, '{}', {}, { timeoutMs: 5000, allowPrivate: true, connections: kept });
    assert.equal(r.ok, false);
    assert.match(r.error!, /socket hang up|ECONNRESET/);
    assert.deepEqual(hits, ['/drop']);
    kept.http.destroy();
  });

  it('does not send again once its sender is stopping', async () => {
    const kept = keptConnections(2);
    const stopping = new AbortController();
    const opts = { timeoutMs: 5000, allowPrivate: true, connections: kept, stopping: stopping.signal };
    assert.equal((await postOnce(`${base}/closes-kept`, '{}', {}, opts)).ok, true);
    stopping.abort();
    hits.length = 0;
    const r = await postOnce(`${base}/closes-kept`, '{}', {}, opts);
    assert.equal(r.ok, false);
    assert.deepEqual(hits, ['/closes-kept'], 'sent once, on the kept connection');
    kept.http.destroy();
  });

  it('closes the connection of a receiver that answered before reading the whole request', async () => {
    // A raw receiver: it answers at the first bytes, then reads nothing more.
    const raw = createNetServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n\r\n');
        socket.pause();
      });
      socket.on('error', () => {});
    });
    raw.listen(0, '127.0.0.1');
    await once(raw, 'listening');
    const kept = keptConnections(2);
    const open = () => Object.values(kept.http.sockets).flat().length + Object.values(kept.http.freeSockets).flat().length;
    try {
      const body = 'x'.repeat(8 * 1024 * 1024);
      const r = await postOnce(
        `http://127.0.0.1:${(raw.address() as { port: number }).port}/`,
        body,
        {},
        { timeoutMs: 5000, allowPrivate: true, connections: kept },
      );
      assert.deepEqual([r.ok, r.statusCode], [false, 413]);
      for (const until = Date.now() + 2000; open() > 0 && Date.now() < until;) await new Promise((res) => setTimeout(res, 10));
      assert.equal(open(), 0, 'the half-sent connection was closed, not left in the pool');
    } finally {
      kept.http.destroy();
      raw.close();
    }
  });
});

describe('the sender, one loop at a time (SQLite)', () => {
  let t: TestDatabase;
  let db: Db;
  let receiver: Server;
  let sender: WebhookSender;
  let companyId: number;
  /** What the receiver answers next. */
  let status = 204;
  /** Times the sender searched the whole queue (store.dueDeliveries). */
  let searches = 0;
  /** What the sender logged: level and message. */
  const logged: string[] = [];
  const logger = {
    info: (_: object, msg: string) => logged.push(`info ${msg}`),
    warn: (_: object, msg: string) => logged.push(`warn ${msg}`),
    error: (_: object, msg: string) => logged.push(`error ${msg}`),
  };
  /** Run by the receiver before it answers, once. */
  let beforeAnswer: (() => Promise<unknown>) | undefined;
  let services: ReturnType<typeof buildServices>;
  let hookId: string;

  before(async () => {
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const run = beforeAnswer;
        beforeAnswer = undefined;
        void (run ?? (() => Promise.resolve()))().then(() => res.writeHead(status).end());
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    t = await createTestDatabase('sqlite');
    db = openDb(t.url, {
      wrapDialect: (d) =>
        hookedDialect(d, async (sql) => {
          if (sql.startsWith('select "d"."id", "d"."webhook_id" from "webhook_deliveries"')) searches++;
          return Promise.resolve();
        }),
    });
    await migrateToLatest(db);
    const config = loadConfig({ ROSTER_SECRET_KEY: TEST_SECRET_KEY, WEBHOOK_ALLOW_PRIVATE: 'true', DATABASE_URL: t.url });
    const secrets = openSecretBox(config);
    services = buildServices({ db, config, secrets });
    companyId = (await services.companies.create({ code: 'streak', name: 'Streak' })).id;
    hookId = (await services.webhooks.add({ companyCode: 'streak', url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook` })).webhook.id;
    sender = new WebhookSender(db, secrets, config.webhooks, logger);
    // What adding the endpoint queued (its own event), out of the way.
    while (await sender.sendOne(0));
  });
  after(async () => {
    await sender.stop(1000);
    receiver.closeAllConnections();
    receiver.close();
    await db.close();
    await t.drop();
  });

  const record = (n: number) =>
    inTransaction(db.kysely, (trx) =>
      recordEventsOf(
        trx,
        Array.from({ length: n }, (_, i) => ({
          acting: SYSTEM,
          event: { type: 'user.created' as const, companyId, target: { kind: 'user', id: i }, data: { i } },
          now: new Date().toISOString(),
        })),
      ),
    );
  const statuses = async () => (await db.kysely.selectFrom('webhook_deliveries').select('status').orderBy('id').execute()).map((d) => d.status);

  it("after a delivery, takes the same endpoint's next one without searching the queue, at most STREAK in a row", async () => {
    await record(STREAK + 2);
    searches = 0;
    for (let i = 0; i < STREAK + 2; i++) assert.equal(await sender.sendOne(0), true);
    assert.equal(searches, 2, 'one search to start, one after STREAK deliveries');
    assert.ok((await statuses()).every((s) => s === 'delivered'));
    assert.equal(await sender.sendOne(0), false);
  });

  it('searches again after a failed attempt', async () => {
    await record(2);
    searches = 0;
    status = 503;
    assert.equal(await sender.sendOne(0), true);
    status = 204;
    assert.equal(await sender.sendOne(0), true);
    assert.equal(searches, 2, 'the failed attempt ended the streak');
    assert.deepEqual((await statuses()).slice(-2), ['pending', 'delivered'], 'the failed one waits for its retry');
  });

  it('says an endpoint removed during an attempt was removed, not that the lease was too short', async () => {
    await record(1);
    logged.length = 0;
    beforeAnswer = () => services.webhooks.remove(hookId);
    assert.equal(await sender.sendOne(0), true);
    assert.deepEqual(logged, ['info webhooks: the endpoint was removed during the attempt', 'info webhooks: delivered']);
    assert.deepEqual(await statuses(), [], 'its deliveries went with it');
  });
});
