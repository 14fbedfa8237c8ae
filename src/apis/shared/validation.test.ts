import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyRouteSchemaDef } from 'fastify/types/schema.js';
import { makeValidatorCompiler } from './validation.js';

const route = (schema: unknown, httpPart: string) => ({ schema, httpPart, method: 'POST', url: '/x' }) as FastifyRouteSchemaDef<unknown>;

describe('makeValidatorCompiler', () => {
  it('compiles a route part on its first validation, not when the route is registered', () => {
    const compile = makeValidatorCompiler();
    // Ajv refuses this schema: the refusal comes at the first call.
    const validate = compile(route({ type: 'no-such-type' }, 'body')) as (data: unknown) => boolean;
    assert.throws(() => validate({}), /schema is invalid/);
  });

  it('answers as Ajv does, errors included; bodies are not coerced, strings are', () => {
    const compile = makeValidatorCompiler();
    const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };
    const body = compile(route(schema, 'body')) as ((data: unknown) => boolean) & { errors?: Array<{ instancePath: string }> | null };
    assert.equal(body({ n: '1' }), false);
    assert.equal(body.errors?.[0]?.instancePath, '/n');
    assert.equal(body({ n: 1 }), true);
    assert.equal(body.errors, null);
    const query = compile(route(schema, 'querystring')) as (data: unknown) => boolean;
    const data = { n: '1' };
    assert.equal(query(data), true);
    assert.deepEqual(data, { n: 1 });
  });

  it('lets Ajv replace a coerced root value in its parent, as Fastify asks of a function with a schemaEnv', () => {
    const compile = makeValidatorCompiler();
    const validate = compile(route({ type: 'integer' }, 'params')) as ((data: unknown, cxt?: object) => boolean) & { schemaEnv?: unknown };
    assert.ok(validate.schemaEnv);
    const parent = { id: '42' as unknown };
    assert.equal(validate(parent.id, { parentData: parent, parentDataProperty: 'id', rootData: parent, dynamicAnchors: {} }), true);
    assert.equal(parent.id, 42);
  });
});
