import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseBulkRequest, runBulk, type BulkEndpoint, type BulkTarget } from './bulk.js';
import { notFound, ScimError } from './errors.js';
import { SCIM_LIMITS } from './limits.js';
import { isObject, type JsonObject } from './schema.js';

/** A target that records every call and creates resources with ids 100, 101, ... */
function fakeTarget(fail: (endpoint: BulkEndpoint, data: unknown) => ScimError | undefined = () => undefined) {
  const calls: string[] = [];
  let next = 100;
  const resource = (endpoint: BulkEndpoint, id: string): JsonObject => ({ id, meta: { location: `/${endpoint}/${id}`, version: `W/"${id}"` } });
  const target: BulkTarget = {
    create: async (endpoint, data) => {
      calls.push(`create ${endpoint} ${JSON.stringify(data)}`);
      const err = fail(endpoint, data);
      if (err) throw err;
      return resource(endpoint, String(next++));
    },
    replace: async (endpoint, id, data, ifMatch) => {
      calls.push(`replace ${endpoint} ${id} ${JSON.stringify(data)} ${ifMatch ?? '-'}`);
      return resource(endpoint, id);
    },
    patch: async (endpoint, id, data) => {
      calls.push(`patch ${endpoint} ${id} ${JSON.stringify(data)}`);
      return resource(endpoint, id);
    },
    delete: async (endpoint, id) => {
      calls.push(`delete ${endpoint} ${id}`);
      if (id === '404') throw notFound('gone');
    },
  };
  return { target, calls };
}

describe('parseBulkRequest', () => {
  it('reads operations, methods in any case, and failOnErrors', () => {
    const r = parseBulkRequest({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      failOnErrors: 1,
      Operations: [
        { method: 'post', path: '/Users', bulkId: 'a', data: {} },
        { Method: 'DELETE', Path: '/Users/1', version: 'W/"1"' },
      ],
    });
    assert.equal(r.failOnErrors, 1);
    assert.deepEqual(r.operations, [
      { index: 0, method: 'POST', path: '/Users', bulkId: 'a', data: {} },
      { index: 1, method: 'DELETE', path: '/Users/1', version: 'W/"1"' },
    ]);
  });

  it('is 413 past maxOperations', () => {
    const ops = Array.from({ length: SCIM_LIMITS.maxBulkOperations + 1 }, () => ({ method: 'DELETE', path: '/Users/1' }));
    assert.throws(
      () => parseBulkRequest({ Operations: ops }),
      (e: unknown) => e instanceof ScimError && e.status === 413,
    );
    assert.equal(parseBulkRequest({ Operations: ops.slice(1) }).operations.length, SCIM_LIMITS.maxBulkOperations);
  });

  it('never throws anything but a ScimError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        for (const body of [v, { Operations: v }, { Operations: [v] }]) {
          try {
            parseBulkRequest(body);
          } catch (err) {
            assert.ok(err instanceof ScimError, String(err));
          }
        }
      }),
    );
  });
});

describe('runBulk', () => {
  it('replaces bulkId references in paths and anywhere in data, running an operation after those it refers to', async () => {
    const { target, calls } = fakeTarget();
    const res = await runBulk(
      parseBulkRequest({
        Operations: [
          { method: 'PATCH', path: '/Groups/bulkId:g', data: { Operations: [{ op: 'add', path: 'members', value: [{ value: 'bulkId:u' }] }] } },
          { method: 'POST', path: '/Groups', bulkId: 'g', data: { displayName: 'G' } },
          { method: 'POST', path: '/Users', bulkId: 'u', data: { userName: 'u', x: { deep: ['bulkId:g'] } } },
          { method: 'PUT', path: '/Users/bulkId%3Au', version: 'W/"v"', data: { userName: 'u2' } },
        ],
      }),
      target,
    );
    assert.deepEqual(calls, [
      'create Groups {"displayName":"G"}',
      'create Users {"userName":"u","x":{"deep":["100"]}}',
      'replace Users 101 {"userName":"u2"} W/"v"',
      'patch Groups 100 {"Operations":[{"op":"add","path":"members","value":[{"value":"101"}]}]}',
    ]);
    assert.deepEqual(
      res.Operations.map((o) => [o.method, o.status, o.location]),
      [
        ['PATCH', '200', '/Groups/100'],
        ['POST', '201', '/Groups/100'],
        ['POST', '201', '/Users/101'],
        ['PUT', '200', '/Users/101'],
      ],
    );
  });

  it('fails what refers to an undefined, failed or circular bulkId, and answers errors with their SCIM body', async () => {
    const { target, calls } = fakeTarget((_e, data) => (isObject(data) && data.bad ? new ScimError(409, 'taken', 'uniqueness') : undefined));
    const res = await runBulk(
      parseBulkRequest({
        Operations: [
          { method: 'POST', path: '/Users', bulkId: 'bad', data: { bad: true } },
          { method: 'PATCH', path: '/Users/bulkId:bad', data: {} },
          { method: 'PATCH', path: '/Users/1', data: { ref: 'bulkId:undefined' } },
          { method: 'POST', path: '/Groups', bulkId: 'x', data: { m: 'bulkId:y' } },
          { method: 'POST', path: '/Groups', bulkId: 'y', data: { m: 'bulkId:x' } },
          { method: 'DELETE', path: '/Users/404' },
          { method: 'DELETE', path: '/Devices/1' },
        ],
      }),
      target,
    );
    assert.deepEqual(
      res.Operations.map((o) => [o.status, o.response?.scimType]),
      [
        ['409', 'uniqueness'],
        ['400', 'invalidValue'],
        ['400', 'invalidValue'],
        ['409', undefined],
        ['409', undefined],
        ['404', undefined],
        ['400', 'invalidValue'],
      ],
    );
    assert.deepEqual(calls, ['create Users {"bad":true}', 'delete Users 404']);
  });

  it('stops once failOnErrors errors have happened', async () => {
    const { target, calls } = fakeTarget();
    const res = await runBulk(
      parseBulkRequest({
        failOnErrors: 1,
        Operations: [
          { method: 'DELETE', path: '/Users/404' },
          { method: 'DELETE', path: '/Users/2' },
        ],
      }),
      target,
    );
    assert.deepEqual(
      res.Operations.map((o) => o.status),
      ['404'],
    );
    assert.deepEqual(calls, ['delete Users 404']);
  });

  it('lets a non-SCIM error through (the whole request fails, as a database outage must)', async () => {
    const target: BulkTarget = { ...fakeTarget().target, delete: () => Promise.reject(new Error('database away')) };
    await assert.rejects(runBulk(parseBulkRequest({ Operations: [{ method: 'DELETE', path: '/Users/1' }] }), target), /database away/);
  });
});
