import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { demoBanner } from '../src/app.js';
import { call, startTestServer, type TestServer } from './helpers.js';

describe('the demo banner', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer('sqlite', { SEED_DEMO: 'true' });
  });
  after(() => srv.stop());

  it("prints a Chatwoot curl that works as pasted", async () => {
    const banner = demoBanner(srv.demo!, srv.url);
    const m = /curl -s -X POST (\S+\/platform\/api\/v1\/accounts) \\\n\s+-H 'api_access_token: (\S+)' \\\n\s+-H 'Content-Type: application\/json' \\\n\s+-d '(.+)'/.exec(banner);
    assert.ok(m, banner);
    const [, url, token, body] = m;
    const r = await call(url!, 'POST', '', { headers: { api_access_token: token!, 'content-type': 'application/json' }, body: body! });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.name, 'Demo Account');
  });
});
