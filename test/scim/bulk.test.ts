/** POST /scim/v2/Bulk (RFC 7644 §3.7): bulkId references, failOnErrors, bounded operations and payload. */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { ENTERPRISE, GROUP_SCHEMA, oktaUser, patchOp, scimClient, scimTenant, SCIM_TYPE, uniqueEmail, type Scim } from './helpers.js';

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

forEachStore('SCIM Bulk', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0', PUBLIC_URL: 'https://roster.example.test' });
  let scim: Scim;

  before(async () => {
    scim = scimClient(srv, (await scimTenant(srv, 'acme')).token);
  });

  const bulk = (Operations: unknown[], extra: Record<string, unknown> = {}) => scim('POST', '/Bulk', { schemas: [BULK_REQUEST], Operations, ...extra });

  it('creates users and a group whose members name them by bulkId, in any order', async () => {
    const r = await bulk([
      // The group comes first and refers to users created after it: it waits for them.
      {
        method: 'POST',
        path: '/Groups',
        bulkId: 'g',
        data: { schemas: [GROUP_SCHEMA], displayName: 'Bulk team', members: [{ value: 'bulkId:a' }, { value: 'bulkId:b' }] },
      },
      { method: 'POST', path: '/Users', bulkId: 'a', data: oktaUser(uniqueEmail('bulk-a')) },
      { method: 'POST', path: '/Users', bulkId: 'b', data: oktaUser(uniqueEmail('bulk-b'), { [ENTERPRISE]: { manager: { value: 'bulkId:a' } } }) },
      { method: 'PATCH', path: '/Users/bulkId:a', data: patchOp({ op: 'replace', path: 'displayName', value: 'Alpha' }) },
    ]);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('content-type'), SCIM_TYPE);
    assert.deepEqual(r.body.schemas, [BULK_RESPONSE]);
    const ops = r.body.Operations;
    assert.deepEqual(
      ops.map((o: any) => [o.method, o.bulkId, o.status]),
      [
        ['POST', 'g', '201'],
        ['POST', 'a', '201'],
        ['POST', 'b', '201'],
        ['PATCH', undefined, '200'],
      ],
    );
    const [g, a, b, p] = ops;
    assert.match(a.location, /^https:\/\/roster\.example\.test\/scim\/v2\/Users\/\d+$/);
    assert.match(a.version, /^W\//);
    const aId = a.location.split('/').pop();
    const bId = b.location.split('/').pop();
    assert.equal(p.location, a.location);
    const group = await scim('GET', `/Groups/${g.location.split('/').pop()}`);
    assert.deepEqual(group.body.members.map((m: any) => m.value).sort(), [aId, bId].sort());
    assert.equal((await scim('GET', `/Users/${bId}`)).body[ENTERPRISE].manager.value, aId);
    assert.equal((await scim('GET', `/Users/${aId}`)).body.displayName, 'Alpha');
  });

  it('answers each operation for itself: errors carry a SCIM error body; undefined and circular references fail', async () => {
    const email = uniqueEmail('bulk-dup');
    const r = await bulk([
      { method: 'POST', path: '/Users', bulkId: 'one', data: oktaUser(email) },
      { method: 'POST', path: '/Users', bulkId: 'two', data: oktaUser(email) },
      { method: 'DELETE', path: '/Users/999999999' },
      { method: 'PATCH', path: '/Users/bulkId:nowhere', data: patchOp({ op: 'replace', path: 'active', value: false }) },
      { method: 'POST', path: '/Groups', bulkId: 'x', data: { displayName: 'X', members: [{ value: 'bulkId:y' }] } },
      { method: 'POST', path: '/Groups', bulkId: 'y', data: { displayName: 'Y', members: [{ value: 'bulkId:x' }] } },
      { method: 'PATCH', path: '/Users/bulkId:two', data: patchOp({ op: 'replace', path: 'active', value: false }) },
    ]);
    assert.equal(r.status, 200, r.text);
    const statuses = r.body.Operations.map((o: any) => o.status);
    assert.deepEqual(statuses, ['201', '409', '404', '400', '409', '409', '400']);
    assert.equal(r.body.Operations[1].response.scimType, 'uniqueness');
    assert.equal(r.body.Operations[1].response.schemas[0], 'urn:ietf:params:scim:api:messages:2.0:Error');
    assert.match(r.body.Operations[4].response.detail, /circular/);
  });

  it('stops after failOnErrors errors', async () => {
    const r = await bulk(
      [
        { method: 'DELETE', path: '/Users/999999991' },
        { method: 'DELETE', path: '/Users/999999992' },
        { method: 'POST', path: '/Users', bulkId: 'never', data: oktaUser(uniqueEmail('never')) },
      ],
      { failOnErrors: 2 },
    );
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.Operations.map((o: any) => o.status),
      ['404', '404'],
    );
    const list = await scim('GET', `/Users?filter=${encodeURIComponent('userName sw "never."')}`);
    assert.equal(list.body.totalResults, 0);
  });

  it('bounds the operations (413) and the payload (413), and refuses a malformed request (400)', async () => {
    const many = Array.from({ length: 101 }, (_, i) => ({ method: 'DELETE', path: `/Users/${i + 1}` }));
    const tooMany = await bulk(many);
    assert.equal(tooMany.status, 413);
    assert.equal(tooMany.headers.get('content-type'), SCIM_TYPE);
    const big = await bulk([{ method: 'POST', path: '/Users', bulkId: 'big', data: { userName: 'x'.repeat(1_100_000) } }]);
    assert.equal(big.status, 413);
    assert.equal(big.body.status, '413');
    for (const body of [
      {},
      { Operations: [] },
      { Operations: [{ method: 'GET', path: '/Users' }] },
      { Operations: [{ method: 'POST', path: '/Users', data: {} }] },
      { Operations: [{ method: 'PUT', path: '/Users/1' }] },
      {
        Operations: [
          { method: 'POST', path: '/Users', bulkId: 'a', data: {} },
          { method: 'POST', path: '/Users', bulkId: 'a', data: {} },
        ],
      },
      { Operations: [{ method: 'DELETE', path: '/Users/1' }], failOnErrors: 0 },
    ]) {
      const r = await scim('POST', '/Bulk', body);
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    const wrongPath = await bulk([{ method: 'DELETE', path: '/Schemas/x' }]);
    assert.equal(wrongPath.body.Operations[0].status, '400');
  });

  it('is described in ServiceProviderConfig', async () => {
    const r = await scim('GET', '/ServiceProviderConfig');
    assert.deepEqual(r.body.bulk, { supported: true, maxOperations: 100, maxPayloadSize: 1_048_576 });
  });
});
