import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';

/** The value of one sample line of the Prometheus text format, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inner = line.slice(name.length + 1, line.indexOf('}'));
    if (want.every((w) => inner.split(',').includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

forEachStore('GET /metrics', (kind) => {
  const srv = withApp(kind);
  let auth: string;
  before(async () => {
    await servicesOf(srv.db).companies.create({ code: 'acme', name: 'Acme' });
    const c = await servicesOf(srv.db).credentials.createWidgetClient({ companyCode: 'acme' });
    auth = `${c.clientId}:${c.clientSecret}`;
  });

  it('counts requests by route pattern and status, never by raw URL', async () => {
    for (let i = 0; i < 3; i++)
      assert.equal((await srv.call('POST', '/v1/widget/user', { headers: { authorization: auth }, json: { user: { id: `m-${i}`, names: 'M' } } })).status, 200);
    assert.equal((await srv.call('POST', '/v1/widget/user', { json: { user: { id: 'x', names: 'x' } } })).status, 401);
    assert.equal((await srv.call('GET', '/no/such/route/12345')).status, 404);
    const r = await srv.call('GET', '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    const count = 'roster_http_request_duration_seconds_count';
    assert.equal(sample(r.text, count, { method: 'POST', route: '/v1/widget/user', status: '200' }), 3);
    assert.equal(sample(r.text, count, { method: 'POST', route: '/v1/widget/user', status: '401' }), 1);
    assert.ok(!r.text.includes('/no/such/route/12345'), 'raw URLs never become labels');
    assert.ok(!r.text.includes('m-0'), 'request content never becomes labels');
    assert.match(r.text, /^roster_process_cpu_seconds_total /m);
    assert.match(r.text, /^roster_nodejs_eventloop_lag_seconds /m);
    assert.match(r.text, /^# TYPE roster_outbox_messages gauge/m);
    if (kind === 'postgres') assert.notEqual(sample(r.text, 'roster_db_pool_connections', { state: 'total' }), undefined);
  });

  it('is not in the OpenAPI document', async () => {
    assert.equal((await srv.call('GET', '/openapi.json')).body.paths['/metrics'], undefined);
  });
});

describe('METRICS=false', () => {
  const srv = withApp('sqlite', { METRICS: 'false' });
  it('serves no /metrics', async () => {
    assert.equal((await srv.call('GET', '/metrics')).status, 404);
  });
});
