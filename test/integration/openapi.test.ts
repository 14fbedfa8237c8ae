import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withApp } from '../fixtures/server.js';

describe('GET /openapi.json', () => {
  const srv = withApp('sqlite');

  it('documents every API route from the schemas that validate it, and hides the probes', async () => {
    const r = await srv.call('GET', '/openapi.json');
    assert.equal(r.status, 200);
    assert.equal(r.body.openapi, '3.1.0');
    const widget = r.body.paths['/v1/widget/user']?.post;
    assert.ok(widget, Object.keys(r.body.paths).join(', '));
    assert.deepEqual(widget.security, [{ basicAuth: [] }]);
    const body = widget.requestBody.content['application/json'].schema;
    assert.deepEqual(body.properties.user.required, ['id', 'names']);
    assert.ok(widget.responses['200']);
    assert.ok(r.body.components.securitySchemes.basicAuth);
    assert.equal(r.body.paths['/healthz'], undefined);
    assert.equal(r.body.paths['/openapi.json'], undefined);
  });
});
