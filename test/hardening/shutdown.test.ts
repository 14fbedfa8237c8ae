/**
 * Issue 9, points 4 and 5, over real sockets. A `roster serve` child process stops within
 * SHUTDOWN_TIMEOUT_MS whatever its clients do (an in-flight keep-alive request, a body sent a byte
 * at a time, an idle keep-alive connection, an outbox stuck on a silent SMTP server); a listening
 * server times out slow requests and slow headers, and caps the connections one address holds.
 */
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { call } from '../fixtures/http.js';
import { startTestServer, type Stoppable, type TestServer } from '../fixtures/server.js';
import { jsonHead, RawClient } from '../fixtures/raw-http.js';
import { serveChild } from '../fixtures/serve-child.js';

const SHUTDOWN_TIMEOUT_MS = 3000;
/** Process start-up and exit around the bound (loading modules, flushing logs). */
const SLACK_MS = 1500;

describe('point 4: roster serve stops within SHUTDOWN_TIMEOUT_MS whatever clients do', () => {
  let dir: string;
  const clients: RawClient[] = [];
  const children: ChildProcessWithoutNullStreams[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'roster-shutdown-'));
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy();
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const start = async (env: Record<string, string> = {}) => {
    const s = await serveChild(mkdtempSync(join(dir, 'n-')), { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), ...env });
    children.push(s.child);
    // A process that does not stop within the bound and the slack is killed: the test fails.
    return { ...s, stop: () => s.stop(SHUTDOWN_TIMEOUT_MS + SLACK_MS + 5000) };
  };
  /** Resolves once a new connection to `url` is refused (the server has stopped listening). */
  const refusedWithin = async (url: string, ms: number) => {
    const u = new URL(url);
    const deadline = Date.now() + ms;
    for (;;) {
      const refused = await new Promise<boolean>((resolve) => {
        const probe = connect({ host: u.hostname, port: Number(u.port) });
        probe.once('connect', () => {
          probe.destroy();
          resolve(false);
        });
        probe.once('error', () => resolve(true));
      });
      if (refused) return;
      if (Date.now() > deadline) throw new Error(`${url} still accepts connections ${ms} ms after SIGTERM`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const open = async (url: string) => {
    const c = await RawClient.open(url);
    clients.push(c);
    return c;
  };

  it('answers an in-flight keep-alive request with Connection: close, closes the socket and exits at once', async () => {
    const s = await start();
    const c = await open(s.url);
    const body = JSON.stringify({ email: 'nobody@example.com', password: 'Some-Password-1' });
    // Expect: 100-continue makes the server say when it has parsed the head: from then on the
    // request is in flight, not an idle connection (a fixed sleep lost that race under load).
    c.write(jsonHead('POST', '/api/user/login', body.length, { Connection: 'keep-alive', Expect: '100-continue' }) + body.slice(0, 10));
    assert.equal((await c.response()).status, 100);
    const stopping = s.stop();
    // Fastify runs the preClose hooks (from then on every answer closes its connection), then stops
    // listening: a refused connection says the server is past that point.
    await refusedWithin(s.url, 10_000);
    c.write(body.slice(10));
    const r = await c.response();
    assert.equal(r.status, 401, r.body);
    assert.equal(r.headers.connection, 'close');
    assert.ok(await c.closesWithin(1000), 'the server closes the socket after the answer');
    const { code, ms } = await stopping;
    assert.equal(code, 0, s.out());
    assert.ok(ms < SHUTDOWN_TIMEOUT_MS, `exited ${ms} ms after SIGTERM`);
  });

  it('closes an idle keep-alive connection and exits at once', async () => {
    const s = await start();
    const c = await open(s.url);
    c.write('GET /healthz HTTP/1.1\r\nHost: roster.test\r\nConnection: keep-alive\r\n\r\n');
    assert.equal((await c.response()).status, 200);
    const { code, ms } = await s.stop();
    assert.equal(code, 0, s.out());
    assert.ok(ms < SHUTDOWN_TIMEOUT_MS, `exited ${ms} ms after SIGTERM`);
    assert.ok(await c.closesWithin(100));
  });

  it('cuts a body sent one byte at a time and exits within the bound', async () => {
    const s = await start();
    const c = await open(s.url);
    c.write(jsonHead('POST', '/api/user/login', 10_000));
    void c.trickle('{'.padEnd(10_000, ' '), 200);
    await new Promise((r) => setTimeout(r, 500));
    const { code, ms } = await s.stop();
    assert.ok(ms < SHUTDOWN_TIMEOUT_MS + SLACK_MS, `exited ${ms} ms after SIGTERM (bound ${SHUTDOWN_TIMEOUT_MS})`);
    assert.equal(code, 0, s.out());
    assert.ok(await c.closesWithin(100), 'the slow client was cut');
  });

  it('stops the outbox within the bound while it waits on an SMTP server that never answers', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket)); // accepts, never greets
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const port = (silent.address() as { port: number }).port;
    try {
      const s = await start({ SEED_DEMO: 'true', SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_TIMEOUT_MS: '60000', OUTBOX_POLL_MS: '50' });
      const token = /Authorization: Bearer (rtk_\S+)'/.exec(s.out())![1]!;
      const email = 'stuck@example.com';
      const created = await call(s.url, 'POST', '/api/user', {
        headers: { authorization: `Bearer ${token}` },
        json: { name: 'S', lastName: 'T', email, password: 'Secure-Passphrase-123!', company: 'demo' },
      });
      assert.equal(created.status, 200, created.text);
      assert.equal((await call(s.url, 'POST', '/api/user/sendEmailToResetPassword', { json: { email } })).status, 200);
      // The sender has connected and waits for a greeting that never comes.
      for (let i = 0; i < 100 && sockets.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(sockets.length > 0, 'the outbox sender is talking to the silent server');
      const { code, ms } = await s.stop();
      assert.ok(ms < SHUTDOWN_TIMEOUT_MS + SLACK_MS, `exited ${ms} ms after SIGTERM (bound ${SHUTDOWN_TIMEOUT_MS})`);
      assert.equal(code, 0, s.out());
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});

describe('point 5: request and header timeouts, and a cap on connections per address', () => {
  let srv: TestServer & Stoppable;
  const clients: RawClient[] = [];
  before(async () => {
    srv = await startTestServer('sqlite', { HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_HEADERS_TIMEOUT_MS: '500', HTTP_MAX_CONNECTIONS_PER_IP: '3' });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy();
  });
  after(() => srv.stop());

  const open = async () => {
    const c = await RawClient.open(srv.url);
    clients.push(c);
    return c;
  };

  it('answers 408 and closes a connection whose body comes one byte at a time', async () => {
    const c = await open();
    c.write(jsonHead('POST', '/api/user/login', 1000));
    void c.trickle('{'.padEnd(1000, ' '), 100);
    assert.ok(await c.closesWithin(3000), 'closed within the request timeout and one check');
    assert.match(c.data, /^HTTP\/1\.1 408 /);
  });

  it('closes a connection whose headers come one byte at a time', async () => {
    const c = await open();
    void c.trickle('GET /healthz HTTP/1.1\r\nHost: roster.test\r\nX-Slow: ' + 'x'.repeat(100), 50);
    assert.ok(await c.closesWithin(2000), 'closed within the headers timeout and one check');
  });

  it('closes the connections of one address over the cap as they open; the others keep working', async () => {
    const held = [await open(), await open(), await open()];
    const extra = await open();
    assert.ok(await extra.closesWithin(1000), 'the fourth connection is closed');
    held[0]!.write('GET /healthz HTTP/1.1\r\nHost: roster.test\r\n\r\n');
    assert.equal((await held[0]!.response()).status, 200, 'a connection within the cap is served');
    held[1]!.destroy();
    await held[1]!.closed;
    await new Promise((r) => setTimeout(r, 50));
    const again = await open();
    again.write('GET /healthz HTTP/1.1\r\nHost: roster.test\r\n\r\n');
    assert.equal((await again.response()).status, 200, 'a freed place can be taken again');
  });
});
