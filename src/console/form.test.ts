import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '../identity/errors.js';
import { fieldsOf } from './form.js';

const refusedAs = (message: RegExp) => (err: unknown) => err instanceof DomainError && err.kind === 'invalid' && message.test(err.message);

test('fieldsOf hands back the named fields, each one string, and leaves out the absent and the unnamed', () => {
  const form = fieldsOf({ code: 'acme', name: '', other: ['x', 'y'] }, ['code', 'name', 'missing']);
  assert.deepEqual(form, { code: 'acme', name: '' });
  assert.deepEqual(fieldsOf(undefined, ['code']), {}, 'no body at all');
  assert.deepEqual(fieldsOf(Object.assign(Object.create(null) as object, { q: 'a' }), ['q']), { q: 'a' }, 'a null-prototype object (the query parser)');
});

test('fieldsOf refuses a named field that is not one string (400)', () => {
  for (const value of [['a', 'b'], [], { toString: 1 }, 1, true, null]) {
    assert.throws(() => fieldsOf({ name: value }, ['name']), refusedAs(/The field "name" must be sent once, as text/), JSON.stringify(value));
  }
});

test('fieldsOf reads only own fields, never an inherited one', () => {
  assert.deepEqual(fieldsOf({}, ['toString', 'constructor']), {});
  assert.deepEqual(fieldsOf(Object.create({ q: 'inherited' }) as object, ['q']), {});
});

test('fieldsOf refuses a body that is not an object of fields', () => {
  for (const body of ['code=a', 1, ['a']]) assert.throws(() => fieldsOf(body, ['code']), refusedAs(/could not be read/));
});
