import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lazySerializerFactory } from './serialization.js';

const route = (schema: unknown) => ({ schema, method: 'GET', url: '/x', httpStatus: '200' });

describe('lazySerializerFactory', () => {
  it('builds a serializer on its first use, not when the route is registered', () => {
    const compile = lazySerializerFactory()(undefined, {});
    // fast-json-stringify refuses a reference that resolves nowhere: at the first call.
    const serialize = compile(route({ $ref: '#/definitions/nowhere' }));
    assert.throws(() => serialize({}));
  });

  it("writes exactly what Fastify's own default serializer writes", () => {
    const schema = { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } } };
    const doc = { id: 7, name: 'Ana "A" \u2028', tags: ['x'], extra: 'dropped' };
    const lazy = lazySerializerFactory()(undefined, {})(route(schema));
    const eager = SerializerSelector()(undefined, {})(route(schema));
    assert.equal(lazy(doc), eager(doc));
    assert.equal(lazy(doc), lazy(doc));
  });
});
