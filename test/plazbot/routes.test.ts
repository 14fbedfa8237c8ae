/** What holds for every Plazbot route: no 500 to hostile input, and each one in the OpenAPI document. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { PASSWORD, PLAZBOT_ENV, withTenants } from './helpers.js';

forEachStore('Plazbot /api/user', (kind) => {
  const srv = withApp(kind, PLAZBOT_ENV);
  const { tokens } = withTenants(srv);

  it('never answers 500 to hostile input', async () => {
    const bodies: unknown[] = [
      null,
      0,
      true,
      [],
      {},
      { email: null, password: null },
      { email: {}, password: [] },
      { email: 'a@b.co', password: 'x'.repeat(4097) },
      { email: '\u0000@\u0000', password: '\ud800' },
      { email: `${'a'.repeat(300)}@b.co`, password: 'x', newPassword: 'y', verificationId: '../../etc/passwd', company: "'; drop table users; --" },
    ];
    const paths = ['/api/user', '/api/user/login', '/api/user/sendEmailToResetPassword', '/api/user/resetPassword'];
    for (const path of paths) {
      for (const json of bodies) {
        const r = await srv.call('POST', path, { headers: { authorization: `Bearer ${tokens.wabotify}` }, json });
        assert.ok(r.status < 500, `${path} ${JSON.stringify(json)?.slice(0, 80)}: ${r.status} ${r.text}`);
      }
      for (const raw of ['{', '{"a":1}}', '\u0000', '{"email":"a@b.co","password":"x","constructor":{"prototype":{"x":1}}}']) {
        const r = await srv.call('POST', path, { headers: { authorization: `Bearer ${tokens.wabotify}`, 'content-type': 'application/json' }, body: raw });
        assert.ok(r.status < 500, `${path} ${raw}: ${r.status}`);
      }
    }
    // A NUL in the company code (PostgreSQL cannot store NUL) is an unknown company: 400, not 500.
    const nul = await srv.call('POST', '/api/user', {
      headers: { authorization: `Bearer ${tokens.wabotify}` },
      json: { name: 'N', lastName: 'L', email: 'nul.company@example.com', password: PASSWORD, company: 'wabotify\u0000' },
    });
    assert.equal(nul.status, 400, nul.text);
    assert.equal(nul.body.success, false);
    for (const auth of ['Bearer ' + 'x'.repeat(10000), 'Bearer rss_\u00e9', 'Bearer rtk_0123456789abcdef.' + '\u00e9'.repeat(43)]) {
      for (const [method, path] of [
        ['GET', '/api/user/me'],
        ['POST', '/api/user'],
      ] as const) {
        const r = await srv.call(method, path, { headers: { authorization: auth }, ...(method === 'POST' && { json: {} }) }).catch(() => undefined);
        if (r) assert.ok(r.status < 500, `${method} ${path}: ${r.status}`);
      }
    }
  });

  it('documents its routes in the OpenAPI document', async () => {
    const r = await srv.call('GET', '/openapi.json');
    assert.equal(r.status, 200);
    const create = r.body.paths['/api/user']?.post;
    assert.ok(create, Object.keys(r.body.paths).join(', '));
    assert.deepEqual(create.security, [{ bearerAuth: [] }]);
    // /me takes a session token from the login, not an API token.
    assert.deepEqual(r.body.paths['/api/user/me']?.get?.security, [{ sessionToken: [] }]);
    assert.deepEqual(r.body.paths['/api/user/email']?.get?.security, [{ bearerAuth: [] }]);
    assert.deepEqual(create.requestBody.content['application/json'].schema.required, ['name', 'lastName', 'email', 'password', 'company']);
    for (const path of ['/api/user/login', '/api/user/me', '/api/user/verify-email', '/api/user/sendEmailToResetPassword', '/api/user/resetPassword']) {
      assert.ok(r.body.paths[path], path);
    }
  });
});
