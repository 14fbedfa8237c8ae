/**
 * Issue 11, request ids: `X-Request-Id` is the client's when sane and a new one otherwise; every
 * answer of every API returns it (errors and 404s too), every log line of the request names it, and
 * the event a write records carries it (`roster audit --json` shows it). Over HTTP, on a
 * `roster serve` child whose log is read.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../fixtures/cli.js';
import { call } from '../fixtures/http.js';
import { serveChild, type ServedChild } from '../fixtures/serve-child.js';
import { TEST_SECRET_KEY } from '../fixtures/services.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request ids', () => {
  let dir: string;
  let s: ServedChild;
  let env: Record<string, string>;
  let auth: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'roster-request-ids-'));
    env = { DATABASE_URL: `sqlite:${join(dir, 'roster.db')}`, ROSTER_SECRET_KEY: TEST_SECRET_KEY };
    s = await serveChild(dir, { ROSTER_SECRET_KEY: TEST_SECRET_KEY });
    assert.equal((await runCli(['company', 'create', '--code', 'rid', '--name', 'Rid'], env)).code, 0);
    const c = JSON.parse((await runCli(['client', 'create', '--company', 'rid', '--json'], env)).stdout) as { clientId: string; clientSecret: string };
    auth = `${c.clientId}:${c.clientSecret}`;
  });
  after(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The log lines naming this request id, once its access line is written. */
  async function logLines(id: string): Promise<Array<Record<string, unknown>>> {
    for (let i = 0; i < 200 && !s.logs().some((l) => l.requestId === id && l.msg === 'request'); i++) await new Promise((r) => setTimeout(r, 20));
    return s.logs().filter((l) => l.requestId === id);
  }

  it('a sane client id is echoed, logged and recorded with the event', async () => {
    const id = 'client-trace:0001.a_b';
    const r = await call(s.url, 'POST', '/v1/widget/user', {
      headers: { authorization: auth, 'x-request-id': id },
      json: { user: { id: 'rid-1', names: 'Rid One' } },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('x-request-id'), id);
    const lines = await logLines(id);
    assert.ok(
      lines.some((l) => l.msg === 'request' && l.url === '/v1/widget/user' && l.status === 200),
      'the access line names it',
    );
    const audit = JSON.parse((await runCli(['audit', '--company', 'rid', '--type', 'widget_user.created', '--json'], env)).stdout) as { events: any[] };
    assert.equal(audit.events.length, 1);
    assert.equal(audit.events[0].requestId, id);
  });

  it('an insane one is replaced by a new id, which is the one logged and recorded', async () => {
    for (const bad of ['x'.repeat(129), 'has space', 'semi;colon', '<b>']) {
      const r = await call(s.url, 'POST', '/v1/widget/user', {
        headers: { authorization: auth, 'x-request-id': bad },
        json: { user: { id: `rid-${bad.length}`, names: 'Rid' } },
      });
      assert.equal(r.status, 200, r.text);
      const made = r.headers.get('x-request-id')!;
      assert.match(made, UUID, bad);
      assert.ok((await logLines(made)).length > 0, 'logged under the new id');
      assert.ok(!s.out().includes(bad), 'the refused id is not logged');
    }
    const audit = JSON.parse((await runCli(['audit', '--company', 'rid', '--type', 'widget_user.created', '--json'], env)).stdout) as { events: any[] };
    assert.equal(audit.events.length, 5);
    for (const e of audit.events.slice(0, 4)) assert.match(e.requestId, UUID);
  });

  it('every API returns it, on errors and 404s too; none sent: a new one per request', async () => {
    const answers = [
      await call(s.url, 'POST', '/v1/widget/user', { json: { user: { id: 'x' } } }),
      await call(s.url, 'POST', '/api/user', { json: {} }),
      await call(s.url, 'GET', '/platform/api/v1/accounts/1'),
      await call(s.url, 'GET', '/scim/v2/Users'),
      await call(s.url, 'GET', '/no/such/route'),
      await call(s.url, 'POST', '/v1/widget/user', { headers: { authorization: auth }, body: 'not json' }),
      await call(s.url, 'GET', '/healthz'),
      await call(s.url, 'GET', '/openapi.json'),
    ];
    const ids = answers.map((r) => r.headers.get('x-request-id'));
    for (const [i, id] of ids.entries()) assert.match(String(id), UUID, `answer ${i} (${answers[i]!.status})`);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual(
      answers.slice(0, 6).map((r) => r.status >= 400),
      [true, true, true, true, true, true],
    );
    const sent = 'err-404-check';
    const r = await call(s.url, 'GET', '/no/such/route', { headers: { 'x-request-id': sent } });
    assert.equal(r.status, 404);
    assert.equal(r.headers.get('x-request-id'), sent);
    assert.ok((await logLines(sent)).some((l) => l.status === 404));
    // What the router refuses before any route: a path parameter over its limit (414).
    const long = await call(s.url, 'GET', `/platform/api/v1/accounts/${'9'.repeat(200)}`, { headers: { 'x-request-id': 'too-long-1' } });
    assert.equal(long.status, 414);
    assert.equal(long.headers.get('x-request-id'), 'too-long-1');
    assert.equal(long.body.code, 'FST_ERR_MAX_PARAM_LENGTH');
  });
});
