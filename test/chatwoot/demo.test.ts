import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { demoBanner } from '../../src/main.js';
import { call } from '../fixtures/http.js';
import { withServer } from '../fixtures/server.js';

describe('the demo banner and the OpenAPI document', () => {
  // The real server: the demo seed is start()'s, and the banner's curl goes to its port.
  const srv = withServer('sqlite', { SEED_DEMO: 'true' });

  it('prints a Chatwoot curl that works as pasted', async () => {
    const banner = demoBanner(srv.demo!, srv.url);
    const m =
      /curl -s -X POST (\S+\/platform\/api\/v1\/accounts) \\\n\s+-H 'api_access_token: (\S+)' \\\n\s+-H 'Content-Type: application\/json' \\\n\s+-d '(.+)'/.exec(
        banner,
      );
    assert.ok(m, banner);
    const [, url, token, body] = m;
    const r = await call(url!, 'POST', '', { headers: { api_access_token: token!, 'content-type': 'application/json' }, body: body! });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.name, 'Demo Account');
  });

  it('documents every Platform API route with its security scheme', async () => {
    const r = await srv.call('GET', '/openapi.json');
    const paths = r.body.paths;
    const expected: Array<[string, string[]]> = [
      ['/platform/api/v1/accounts', ['get', 'post']],
      ['/platform/api/v1/accounts/{id}', ['get', 'patch', 'put', 'delete']],
      ['/platform/api/v1/accounts/{account_id}/account_users', ['get', 'post', 'delete']],
      ['/platform/api/v1/users', ['post']],
      ['/platform/api/v1/users/{id}', ['get', 'patch', 'put', 'delete']],
      ['/platform/api/v1/users/{id}/login', ['get']],
      ['/platform/api/v1/users/{id}/token', ['post']],
      ['/platform/api/v1/agent_bots', ['get', 'post']],
      ['/platform/api/v1/agent_bots/{id}', ['get', 'patch', 'put', 'delete']],
    ];
    for (const [path, methods] of expected) {
      for (const m of methods) {
        const op = paths[path]?.[m];
        assert.ok(op, `${m} ${path}`);
        assert.deepEqual(op.security, [{ platformAppApiKey: [] }]);
        assert.deepEqual(op.tags, ['Platform']);
      }
    }
    assert.deepEqual(
      paths['/platform/api/v1/users'].post.responses['200'].content['application/json'].schema.properties.access_token.anyOf.map((s: any) => s.type),
      ['string', 'null'],
    );
  });
});
