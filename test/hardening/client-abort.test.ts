/**
 * Issue 9, point 6: a client that disconnects mid-body is the client's doing, not a database
 * outage: no `database unavailable` warning, no error line, whatever the route. Checked on the log
 * of a `roster serve` child, over raw sockets. (Before the store's typed errors, the socket's
 * ECONNRESET was read as a database connection code: eight such warnings here.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { call } from '../fixtures/http.js';
import { jsonHead, RawClient } from '../fixtures/raw-http.js';
import { serveChild, type ServedChild } from '../fixtures/serve-child.js';

describe('point 6: a client that leaves mid-body', () => {
  let dir: string;
  let s: ServedChild;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'roster-abort-'));
    s = await serveChild(dir, { SEED_DEMO: 'true' });
  });
  after(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is not logged as a database outage, nor as an error, on any API', async () => {
    const widget = /-H 'Authorization: ([0-9a-f]{16}:\S+)'/.exec(s.out())![1]!;
    const token = /Authorization: Bearer (rtk_\S+)'/.exec(s.out())![1]!;
    const app = /api_access_token: (rpa_\S+)'/.exec(s.out())![1]!;
    const routes: Array<[string, Record<string, string>]> = [
      ['/api/user/login', {}],
      ['/api/user', { Authorization: `Bearer ${token}` }],
      ['/v1/widget/user', { Authorization: widget }],
      ['/platform/api/v1/accounts', { api_access_token: app }],
    ];
    const before = s.logs().length;
    for (const [path, headers] of routes) {
      for (const how of ['end', 'reset'] as const) {
        const c = await RawClient.open(s.url);
        c.write(jsonHead('POST', path, 1000, headers) + '{"name":');
        await new Promise((r) => setTimeout(r, 100));
        if (how === 'reset') c.socket.resetAndDestroy();
        else c.socket.destroy();
        await c.closed;
      }
    }
    // The server still answers, and has logged what it was going to log about those (its log is in order).
    assert.equal((await call(s.url, 'GET', '/healthz')).status, 200);
    for (let i = 0; i < 100 && !s.logs().some((l) => l.url === '/healthz'); i++) await new Promise((r) => setTimeout(r, 20));
    const lines = s.logs().slice(before);
    const alarming = lines.filter((l) => l.msg === 'database unavailable' || (typeof l.level === 'number' && l.level >= 50));
    assert.deepEqual(alarming, [], 'no outage warning and no error line for a client that left');
    assert.ok(lines.length > 0, 'the log was read');
  });
});
