import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../config.js';
import { minRetrySpanMs, postOnce, RESPONSE_BYTES, signedHeaders, webhookPayload } from './webhook-sender.js';
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
      res.writeHead(500);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (res.write(chunk)) if (res.destroyed) return;
        res.once('drain', pump);
      };
      pump();
    },
    '/hang': () => {},
  };

  before(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '';
      hits.push(path);
      req.resume();
      req.on('end', () => handlers[path]?.(req, res));
    });
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
});
