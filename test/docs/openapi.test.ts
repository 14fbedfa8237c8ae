/**
 * Issue 11: the OpenAPI documents. /openapi.json holds every API; /openapi/<api>.json one API with
 * its own security schemes; every operation lists each status it answers (never `4XX`) with that
 * API's error body. And the check every test's answers go through (fixtures/documented.ts) refuses
 * an undocumented status and a body that drifted from its schema.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertDocumented } from '../fixtures/documented.js';
import { withApp } from '../fixtures/server.js';

type Doc = {
  paths: Record<
    string,
    Record<string, { tags: string[]; security?: Array<Record<string, unknown>>; responses: Record<string, { content?: Record<string, { schema: any }> }> }>
  >;
  components: { securitySchemes: Record<string, unknown> };
  info: { title: string; description: string };
};

const APIS: Array<[string, string, string[], string]> = [
  ['jelou', 'Widget', ['basicAuth'], '/v1/'],
  ['plazbot', 'Users', ['bearerAuth', 'sessionToken'], '/api/'],
  ['chatwoot', 'Platform', ['platformAppApiKey'], '/platform/api/v1/'],
  ['scim', 'SCIM', ['scimBearer'], '/scim/v2/'],
];

describe('the OpenAPI documents', () => {
  const srv = withApp('sqlite');

  it('one per API: its paths only, its security schemes only', async () => {
    const whole = (await srv.call('GET', '/openapi.json')).body as Doc;
    let total = 0;
    for (const [name, tag, schemes, prefix] of APIS) {
      const r = await srv.call('GET', `/openapi/${name}.json`);
      assert.equal(r.status, 200);
      const doc = r.body as Doc;
      assert.deepEqual(Object.keys(doc.components.securitySchemes), schemes, name);
      const paths = Object.keys(doc.paths);
      assert.ok(paths.length > 0);
      for (const p of paths) {
        assert.ok(p.startsWith(prefix), `${name}: ${p}`);
        for (const op of Object.values(doc.paths[p]!)) assert.deepEqual(op.tags, [tag]);
      }
      total += Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    }
    // The description names every API served, SCIM included.
    for (const api of ['Jelou', 'Plazbot/Wabotify', 'Chatwoot', 'SCIM 2.0']) assert.ok(whole.info.description.includes(api), api);
    assert.equal(
      total,
      Object.values(whole.paths).reduce((n, item) => n + Object.keys(item).length, 0),
      'the four cover the whole',
    );
  });

  it('every operation lists each status on its own, with its API error body', async () => {
    const whole = (await srv.call('GET', '/openapi.json')).body as Doc;
    const errorShape: Record<string, string> = { Widget: 'statusMessage', Users: 'errorCode', Platform: 'anyOf', SCIM: 'detail' };
    for (const [path, item] of Object.entries(whole.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const statuses = Object.keys(op.responses);
        assert.ok(
          statuses.every((s) => /^\d{3}$/.test(s)),
          `${method} ${path}: ${statuses.join()}`,
        );
        assert.ok(statuses.includes('503'), `${method} ${path} lists 503`);
        if (op.security?.length) assert.ok(statuses.includes('401'), `${method} ${path} lists 401`);
        // Every credential but a session token goes through the credential guard.
        const guarded = op.security?.some((s) => !('sessionToken' in s));
        if (guarded) assert.ok(statuses.includes('429'), `${method} ${path} lists 429`);
        if (path === '/api/user/me') assert.deepEqual(statuses, ['200', '401', '503'], 'what GET /api/user/me can answer');
        if (['post', 'put', 'patch'].includes(method))
          assert.ok(
            ['400', '413', '415'].every((s) => statuses.includes(s)),
            `${method} ${path} lists 400, 413, 415`,
          );
        if (path.endsWith('verify-email')) continue;
        const schema = op.responses['401']?.content?.['application/json']?.schema ?? op.responses['503']!.content!['application/json']!.schema;
        const tag = op.tags[0]!;
        assert.ok(JSON.stringify(schema).includes(errorShape[tag]!), `${method} ${path}: ${tag}'s error body`);
      }
    }
  });

  it('the answers check refuses an undocumented status and a drifted body', async () => {
    const widgetError = JSON.stringify({
      message: ['x'],
      statusMessage: 'failure',
      status: 0,
      error: { code: 'X', key: 'X', description: 'x', developerMessages: {}, clientMessages: {} },
      validationError: {},
    });
    await assertDocumented('POST', '/v1/widget/user', 401, 'application/json', widgetError);
    await assert.rejects(
      assertDocumented('POST', '/v1/widget/user', 500, 'application/json', widgetError),
      /answered 500, which its OpenAPI document does not list/,
    );
    await assert.rejects(assertDocumented('POST', '/v1/widget/user', 401, 'application/json', '{"error":"nope"}'), /does not match its documented schema/);
    await assert.rejects(assertDocumented('GET', '/scim/v2/Users/abc', 404, 'application/scim+json', '{"detail":1}'), /does not match/);
    // Not an API operation: not checked.
    await assertDocumented('GET', '/healthz', 500, 'application/json', '{}');
  });
});
