/**
 * Done when: a real HTTP receiver that fails twice and then accepts gets the events of every API,
 * signed as Standard Webhooks specify (verified here with the `standardwebhooks` library), and
 * `roster audit` shows what each API and the CLI did, with request ids. Also: one delivery in
 * flight per endpoint, oldest first; a delivery that keeps failing ends failed and can be sent again.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { runCli } from '../fixtures/cli.js';
import { forEachStore } from '../fixtures/databases.js';
import { withServer } from '../fixtures/server.js';
import { TEST_SECRET_KEY } from '../fixtures/services.js';
import { GOOD_PASSWORD } from '../chatwoot/helpers.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
  at: number;
  /** The sender's end of the connection it came over. */
  port: number | undefined;
}

/** A webhook receiver on 127.0.0.1: each path answers what `answer` says, after `delayMs`. */
class Receiver {
  readonly received: Received[] = [];
  inFlight = new Map<string, number>();
  maxInFlight = new Map<string, number>();
  private server: Server | undefined;
  url = '';

  constructor(private readonly answer: (path: string, n: number) => { status: number; delayMs?: number }) {}

  async start(): Promise<void> {
    const counts = new Map<string, number>();
    this.server = createServer((req, res) => {
      const path = req.url ?? '/';
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const n = (counts.get(path) ?? 0) + 1;
        counts.set(path, n);
        const now = (this.inFlight.get(path) ?? 0) + 1;
        this.inFlight.set(path, now);
        this.maxInFlight.set(path, Math.max(now, this.maxInFlight.get(path) ?? 0));
        const { status, delayMs = 0 } = this.answer(path, n);
        setTimeout(() => {
          this.inFlight.set(path, (this.inFlight.get(path) ?? 1) - 1);
          this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status, at: Date.now(), port: req.socket.remotePort });
          res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'not now');
        }, delayMs);
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  accepted(path: string): Received[] {
    return this.received.filter((r) => r.path === path && r.status < 300);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    this.server?.close();
  }
}

async function eventually<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

forEachStore('webhooks end to end', (kind) => {
  let flaky = false;
  const receiver = new Receiver((path, n) => {
    // /main fails twice, then accepts; /slow takes its time; /down is down until told otherwise.
    if (path === '/main') return { status: n <= 2 ? 500 : 200 };
    if (path === '/slow') return { status: 200, delayMs: 60 };
    if (path === '/down') return { status: flaky ? 200 : 503 };
    return { status: 404 };
  });
  before(() => receiver.start());
  after(() => receiver.stop());

  const srv = withServer(kind, {
    CREDENTIAL_CACHE_TTL_MS: '0',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_POLL_MS: '100',
    WEBHOOK_RETRY_BASE_MS: '200',
    WEBHOOK_RETRY_MAX_MS: '1000',
    WEBHOOK_MAX_ATTEMPTS: '4',
  });
  const env = () => ({ DATABASE_URL: srv.database.url, ROSTER_SECRET_KEY: TEST_SECRET_KEY, WEBHOOK_ALLOW_PRIVATE: 'true' });
  async function cli(...args: string[]): Promise<any> {
    const r = await runCli([...args, '--json'], env());
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  }

  let secret: string;
  const ids: Record<string, string> = {};
  /** The X-Request-Id each API request sent, by its path. */
  const sentIds = new Map<string, string>();

  it('a receiver that fails twice, then accepts, gets every API signed event, verified with standardwebhooks', async () => {
    await cli('company', 'create', '--code', 'hooks', '--name', 'Hooks Inc');
    const client = await cli('client', 'create', '--company', 'hooks');
    const apiToken = (await cli('token', 'create', '--company', 'hooks')).token;
    const app = (await cli('platform-app', 'create', '--company', 'hooks', '--name', 'hooks app')).token;
    const hook = await cli('webhook', 'add', '--company', 'hooks', '--url', `${receiver.url}/main`);
    secret = hook.secret;
    assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.equal(hook.eventTypes, null, 'no --event: every type');

    const send = async (method: string, path: string, headers: Record<string, string>, json: unknown) => {
      const requestId = `e2e-${path.replace(/\W+/g, '-')}-${Date.now()}`;
      const r = await srv.call(method, path, { headers: { ...headers, 'x-request-id': requestId }, json });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('x-request-id'), requestId);
      sentIds.set(path, requestId);
      return r.body;
    };
    await send('POST', '/v1/widget/user', { authorization: `${client.clientId}:${client.clientSecret}` }, { user: { id: 'hook-wu-1', names: 'Hook Widget' } });
    await send(
      'POST',
      '/api/user',
      { authorization: `Bearer ${apiToken}` },
      {
        name: 'Plaz',
        lastName: 'Bot',
        email: 'plaz.bot@example.com',
        password: 'Secure-Passphrase-123!',
        company: 'hooks',
        defaultStartWeek: 1,
        isExternalCreation: true,
      },
    );
    const account = await send('POST', '/platform/api/v1/accounts', { api_access_token: app }, { name: 'Hooked' });
    const user = await send(
      'POST',
      '/platform/api/v1/users',
      { api_access_token: app },
      { name: 'Chat Woot', email: 'chat.woot@example.com', password: GOOD_PASSWORD },
    );
    await send('POST', `/platform/api/v1/accounts/${account.id}/account_users`, { api_access_token: app }, { user_id: user.id, role: 'agent' });

    const expected = ['webhook.created', 'widget_user.created', 'user.created', 'account.created', 'user.created', 'account_user.created'];
    const accepted = await eventually('every event delivered', () => receiver.accepted('/main').length >= expected.length && receiver.accepted('/main'));
    const failures = receiver.received.filter((r) => r.path === '/main' && r.status >= 300);
    assert.equal(failures.length, 2, 'the receiver failed twice');

    const verifier = new Webhook(secret);
    const payloads = accepted.map((r) => {
      const payload = verifier.verify(r.body, r.headers as Record<string, string>) as { type: string; timestamp: string; data: any };
      assert.deepEqual(Object.keys(payload), ['type', 'timestamp', 'data']);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.match(String(r.headers['webhook-id']), /^evt_\d+$/);
      return { ...payload, id: String(r.headers['webhook-id']) };
    });
    assert.deepEqual(payloads.map((p) => p.type).sort(), [...expected].sort());
    assert.equal(new Set(payloads.map((p) => p.id)).size, payloads.length, 'one message id per event');
    const byType = (t: string) => payloads.filter((p) => p.type === t);
    assert.equal(byType('widget_user.created')[0]!.data.referenceId, 'hook-wu-1');
    assert.deepEqual(
      byType('user.created')
        .map((p) => p.data.email)
        .sort(),
      ['chat.woot@example.com', 'plaz.bot@example.com'],
    );
    assert.equal(byType('account_user.created')[0]!.data.user_id, user.id);
    for (const p of payloads) {
      assert.doesNotMatch(JSON.stringify(p.data), /password|access_token|pubsub_token|whsec_/);
      assert.ok(Date.parse(p.timestamp) > 0);
    }
    // A retried message keeps its id: the failed attempts carried ids that were later accepted.
    for (const f of failures) assert.ok(payloads.some((p) => p.id === f.headers['webhook-id']));
    // A forged or altered message does not verify.
    const one = accepted[0]!;
    assert.throws(() => verifier.verify(one.body.replace('"data":{', '"data":{"x":1,'), one.headers as Record<string, string>));

    const deliveries = (await cli('webhook', 'deliveries', '--company', 'hooks')).deliveries as any[];
    assert.equal(deliveries.length, expected.length);
    assert.ok(deliveries.every((d) => d.status === 'delivered' && d.lastStatusCode === 200 && d.deliveredAt));
    assert.equal(
      deliveries.reduce((n, d) => n + d.attempts, 0),
      expected.length + 2,
    );
    assert.deepEqual((await cli('webhook', 'deliveries', '--company', 'hooks', '--status', 'failed')).deliveries, []);
    ids.main = hook.id;
  });

  it('roster audit shows what each API and the CLI did, with request ids', async () => {
    const events = ((await cli('audit', '--company', 'hooks')).events as any[]).reverse();
    const byActor = (k: string) => events.filter((e) => e.actor.kind === k).map((e) => e.type);
    assert.deepEqual(byActor('cli'), ['company.created', 'credential.created', 'credential.created', 'credential.created', 'webhook.created']);
    assert.deepEqual(byActor('widget_client'), ['widget_user.created']);
    assert.deepEqual(byActor('api_token'), ['user.created']);
    assert.deepEqual(byActor('platform_app'), ['account.created', 'user.created', 'account_user.created']);
    for (const e of events) {
      if (e.actor.kind === 'cli') assert.equal(e.requestId, null);
      else {
        assert.equal(typeof e.requestId, 'string', `${e.type} names its request`);
        assert.equal(e.clientIp, '127.0.0.1');
        assert.equal(typeof e.actor.id, 'string');
      }
    }
    assert.equal(new Set(events.filter((e) => e.requestId).map((e) => e.requestId)).size, 5, 'five requests');
    // Each event names the X-Request-Id its client sent.
    const idOf = (type: string, actor: string) => events.find((e) => e.type === type && e.actor.kind === actor)?.requestId;
    assert.equal(idOf('widget_user.created', 'widget_client'), sentIds.get('/v1/widget/user'));
    assert.equal(idOf('user.created', 'api_token'), sentIds.get('/api/user'));
    assert.equal(idOf('account.created', 'platform_app'), sentIds.get('/platform/api/v1/accounts'));
    assert.equal(idOf('user.created', 'platform_app'), sentIds.get('/platform/api/v1/users'));
    assert.equal(idOf('account_user.created', 'platform_app'), [...sentIds].find(([p]) => p.endsWith('/account_users'))?.[1]);
    const human = await runCli(['audit', '--company', 'hooks', '--type', 'account_user.created'], env());
    assert.match(human.stdout, /\taccount_user\.created\thooks\taccount_user:\d+\tplatform_app:[0-9a-f]{16}\trequest \S+\t127\.0\.0\.1\n$/);
  });

  it('sends one delivery at a time per endpoint, oldest first, and only the types an endpoint wants', async () => {
    await cli('company', 'create', '--code', 'order', '--name', 'Order');
    const client = await cli('client', 'create', '--company', 'order');
    await cli('webhook', 'add', '--company', 'order', '--url', `${receiver.url}/slow`, '--event', 'widget_user.created');
    const auth = `${client.clientId}:${client.clientSecret}`;
    for (let i = 1; i <= 6; i++) {
      const r = await srv.call('POST', '/v1/widget/user', { headers: { authorization: auth }, json: { user: { id: `order-${i}`, names: `Order ${i}` } } });
      assert.equal(r.status, 200);
    }
    // A returning user with new names: widget_user.updated, which this endpoint does not want.
    await srv.call('POST', '/v1/widget/user', { headers: { authorization: auth }, json: { user: { id: 'order-1', names: 'Order One' } } });
    const got = await eventually('six deliveries', () => receiver.accepted('/slow').length >= 6 && receiver.accepted('/slow'));
    assert.equal(receiver.maxInFlight.get('/slow'), 1, 'never two at once to one endpoint');
    assert.ok(new Set(got.map((r) => r.port)).size < got.length, 'connections are kept: one carried more than one delivery');
    const refs = got.map((r) => JSON.parse(r.body).data.referenceId);
    assert.deepEqual(refs, ['order-1', 'order-2', 'order-3', 'order-4', 'order-5', 'order-6']);
    const messageIds = got.map((r) => Number(String(r.headers['webhook-id']).slice(4)));
    assert.deepEqual(
      messageIds,
      [...messageIds].sort((a, b) => a - b),
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(receiver.accepted('/slow').length, 6, 'the updated event was not sent');
  });

  it('a delivery that keeps failing ends failed; redeliver sends it again', async () => {
    const hook = await cli('webhook', 'add', '--company', 'order', '--url', `${receiver.url}/down`, '--event', 'company.updated');
    await cli('company', 'update', '--code', 'order', '--name', 'Order Renamed');
    const failed = await eventually('the delivery to fail', async () => {
      const d = (await cli('webhook', 'deliveries', '--company', 'order', '--status', 'failed')).deliveries as any[];
      return d.length === 1 && d[0];
    });
    assert.equal(failed.attempts, 4, 'WEBHOOK_MAX_ATTEMPTS');
    assert.equal(failed.lastStatusCode, 503);
    assert.match(failed.lastError, /^HTTP 503: not now/);
    assert.equal(failed.webhookId, hook.id);
    assert.equal(receiver.received.filter((r) => r.path === '/down').length, 4);

    const metrics = await srv.call('GET', '/metrics');
    assert.match(metrics.text, /roster_webhook_deliveries\{status="failed"\} 1/);
    assert.match(metrics.text, /roster_webhook_attempts_total\{outcome="failed"\} [1-9]/);
    assert.match(metrics.text, /roster_webhook_attempts_total\{outcome="retry"\} [1-9]/);
    assert.match(metrics.text, /roster_webhook_oldest_waiting_seconds 0/);

    flaky = true;
    const again = await cli('webhook', 'redeliver', String(failed.id));
    assert.equal(again.delivery.status, 'pending');
    await eventually('the redelivery', () => receiver.accepted('/down').length === 1);
    const settled = await eventually('the delivery to settle', async () => {
      const d = ((await cli('webhook', 'deliveries', '--company', 'order')).deliveries as any[]).find((x) => x.id === failed.id);
      return d?.status === 'delivered' && d;
    });
    assert.equal(settled.attempts, 1, 'a fresh set of attempts');
    const missing = await runCli(['webhook', 'redeliver', '999999'], env());
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no webhook delivery 999999/);
  });

  it('a removed endpoint gets nothing more', async () => {
    await cli('webhook', 'remove', ids.main!);
    assert.deepEqual((await cli('webhook', 'list', '--company', 'hooks')).webhooks, []);
    const before = receiver.received.length;
    await cli('company', 'update', '--code', 'hooks', '--name', 'Hooks Renamed');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(receiver.received.length, before);
  });
});
