/**
 * The SCIM protocol around the resources: discovery documents, authentication, content types and
 * error bodies on every answer under /scim/v2, and the root /.search.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { servicesOf } from '../fixtures/services.js';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import {
  ENTERPRISE,
  ERROR_SCHEMA,
  GROUP_SCHEMA,
  LIST_RESPONSE,
  oktaUser,
  SCIM,
  scimClient,
  scimTenant,
  SCIM_TYPE,
  uniqueEmail,
  USER_SCHEMA,
  type Scim,
} from './helpers.js';

forEachStore('SCIM protocol', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0', PUBLIC_URL: 'https://roster.example.test/' });
  let scim: Scim;
  let token: string;
  let tokenId: string;

  before(async () => {
    const t = await scimTenant(srv, 'acme');
    token = t.token;
    tokenId = t.tokenId;
    scim = scimClient(srv, token);
  });

  const isScimError = (r: { status: number; body: any; headers: Headers }, status: number) => {
    assert.equal(r.status, status);
    assert.equal(r.headers.get('content-type'), SCIM_TYPE);
    assert.deepEqual(r.body.schemas, [ERROR_SCHEMA]);
    assert.equal(r.body.status, String(status));
    assert.equal(typeof r.body.detail, 'string');
  };

  describe('discovery', () => {
    it('GET /ServiceProviderConfig says what is supported', async () => {
      const r = await scim('GET', '/ServiceProviderConfig');
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), SCIM_TYPE);
      assert.deepEqual(r.body.schemas, ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig']);
      assert.deepEqual(r.body.patch, { supported: true });
      assert.deepEqual(r.body.filter, { supported: true, maxResults: 200 });
      assert.deepEqual(r.body.sort, { supported: true });
      assert.deepEqual(r.body.etag, { supported: true });
      assert.deepEqual(r.body.changePassword, { supported: true });
      assert.equal(r.body.authenticationSchemes[0].type, 'oauthbearertoken');
      assert.equal(r.body.meta.location, 'https://roster.example.test/scim/v2/ServiceProviderConfig');
    });

    it('GET /ResourceTypes lists User and Group, and each by id', async () => {
      const r = await scim('GET', '/ResourceTypes');
      assert.deepEqual(r.body.schemas, [LIST_RESPONSE]);
      assert.deepEqual(
        r.body.Resources.map((x: any) => [x.id, x.endpoint, x.schema]),
        [
          ['User', '/Users', USER_SCHEMA],
          ['Group', '/Groups', GROUP_SCHEMA],
        ],
      );
      assert.deepEqual((await scim('GET', '/ResourceTypes/User')).body.schemaExtensions, [{ schema: ENTERPRISE, required: false }]);
      isScimError(await scim('GET', '/ResourceTypes/Device'), 404);
    });

    it('GET /Schemas lists the three schemas, and each by its URN', async () => {
      const r = await scim('GET', '/Schemas');
      assert.deepEqual(
        r.body.Resources.map((x: any) => x.id),
        [USER_SCHEMA, ENTERPRISE, GROUP_SCHEMA],
      );
      const user = await scim('GET', `/Schemas/${USER_SCHEMA}`);
      assert.equal(user.status, 200);
      const password = user.body.attributes.find((a: any) => a.name === 'password');
      assert.equal(password.mutability, 'writeOnly');
      assert.equal(password.returned, 'never');
      isScimError(await scim('GET', '/Schemas/urn:example:nope'), 404);
    });
  });

  describe('authentication', () => {
    for (const [label, headers] of [
      ['no Authorization header', {}],
      ['a malformed one', { authorization: 'Token abc' }],
      ['an unknown token', { authorization: 'Bearer rsc_0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
    ] as const) {
      it(`answers 401 with a SCIM error and WWW-Authenticate for ${label}`, async () => {
        for (const [method, path] of [
          ['GET', '/Users'],
          ['GET', '/Groups/1'],
          ['GET', '/ServiceProviderConfig'],
          ['POST', '/Bulk'],
          ['DELETE', '/Users/1'],
        ] as const) {
          const r = await srv.call(method, SCIM + path, { headers: { ...headers } });
          isScimError(r, 401);
          assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
        }
      });
    }

    it('refuses the token of another API, and a revoked SCIM token', async () => {
      const s = servicesOf(srv.db);
      const api = await s.credentials.createToken('api_token', { companyCode: 'acme' });
      isScimError(await scimClient(srv, api.token)('GET', '/Users'), 401);
      const extra = await s.credentials.createToken('scim_token', { companyCode: 'acme' });
      assert.equal((await scimClient(srv, extra.token)('GET', '/Users')).status, 200);
      await s.credentials.revoke('scim_token', extra.id);
      isScimError(await scimClient(srv, extra.token)('GET', '/Users'), 401);
      assert.equal(tokenId.length, 16);
    });
  });

  describe('content types and errors', () => {
    it('reads application/scim+json and application/json bodies, and answers application/scim+json', async () => {
      const a = await scim('POST', '/Users', oktaUser(uniqueEmail()), { 'content-type': 'application/scim+json; charset=utf-8' });
      assert.equal(a.status, 201, a.text);
      assert.equal(a.headers.get('content-type'), SCIM_TYPE);
      const b = await scim('POST', '/Users', oktaUser(uniqueEmail()), { 'content-type': 'application/json' });
      assert.equal(b.status, 201, b.text);
      assert.equal(b.headers.get('content-type'), SCIM_TYPE);
    });

    it('answers 415 for another content type, 400 invalidSyntax for malformed JSON', async () => {
      const text = await srv.call('POST', `${SCIM}/Users`, { headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body: '{}' });
      isScimError(text, 415);
      const bad = await srv.call('POST', `${SCIM}/Users`, {
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        body: '{"userName":',
      });
      isScimError(bad, 400);
      assert.equal(bad.body.scimType, 'invalidSyntax');
    });

    it('answers 404 with a SCIM error for a route that does not exist under /scim/v2, with or without a token', async () => {
      isScimError(await scim('GET', '/Devices'), 404);
      isScimError(await scim('DELETE', '/Users'), 404);
      isScimError(await srv.call('GET', `${SCIM}/nothing/here`), 404);
    });

    it('accepts a DELETE that carries a content-type and no body', async () => {
      const u = await scim('POST', '/Users', oktaUser(uniqueEmail()));
      const r = await srv.call('DELETE', `${SCIM}/Users/${u.body.id}`, {
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        body: '',
      });
      assert.equal(r.status, 204);
    });

    it('answers deeply nested bodies with a SCIM 400 invalidSyntax, never a 500, whatever the depth', async () => {
      const deepArray = '['.repeat(200_000) + ']'.repeat(200_000);
      const deepObject = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
      const u = await scim('POST', '/Users', oktaUser(uniqueEmail()));
      for (const [method, path, body] of [
        ['POST', '/Users', deepArray],
        ['POST', '/Users', `{"userName":"${uniqueEmail()}","title":${deepObject}}`],
        ['POST', '/Groups', `{"displayName":"Deep","members":[{"value":${deepArray}}]}`],
        ['PATCH', `/Users/${u.body.id}`, `{"Operations":[{"op":"add","path":"emails","value":${deepArray}}]}`],
        ['PATCH', `/Users/${u.body.id}`, `{"Operations":[{"op":"add","value":{"title":${deepObject}}}]}`],
        ['POST', '/Bulk', `{"Operations":[{"method":"POST","bulkId":"x","path":"/Users","data":${deepObject}}]}`],
        ['POST', '/Users/.search', `{"filter":${deepObject}}`],
      ] as const) {
        const r = await srv.call(method, SCIM + path, { headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, body });
        assert.equal(r.status, 400, `${method} ${path}: ${r.text.slice(0, 200)}`);
        assert.equal(r.headers.get('content-type'), SCIM_TYPE);
        assert.equal(r.body.scimType, 'invalidSyntax');
        assert.match(r.body.detail, /nested too deeply/);
      }
    });

    it('does not change the other APIs: their unknown routes keep their own format', async () => {
      const r = await srv.call('GET', '/platform/api/v1/nothing');
      assert.equal(r.status, 404);
      assert.notEqual(r.headers.get('content-type'), SCIM_TYPE);
    });
  });

  it('POST /.search at the root searches Users, then Groups', async () => {
    const label = `root${process.pid}`;
    const u = await scim('POST', '/Users', oktaUser(uniqueEmail(), { displayName: `${label} user` }));
    const g = await scim('POST', '/Groups', { displayName: `${label} group` });
    const r = await scim('POST', '/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: `displayName sw "${label}"` });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.totalResults, 2);
    assert.deepEqual(
      r.body.Resources.map((x: any) => [x.meta.resourceType, x.id]),
      [
        ['User', u.body.id],
        ['Group', g.body.id],
      ],
    );
    const second = await scim('POST', '/.search', { filter: `displayName sw "${label}"`, startIndex: 2, count: 5 });
    assert.deepEqual(
      second.body.Resources.map((x: any) => x.id),
      [g.body.id],
    );
    const usersOnly = await scim('POST', '/.search', { filter: `userName eq "${u.body.userName}"` });
    assert.equal(usersOnly.body.totalResults, 1, 'a filter only Users can answer matches no Group');
    const bad = await scim('POST', '/.search', { filter: 'nope eq 1' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.scimType, 'invalidFilter');
  });
});
