import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storedObject, storedStrings } from './stored-json.js';

describe('stored JSON', () => {
  it('reads objects and string lists back', () => {
    assert.deepEqual(storedObject('{"a":1}'), { a: 1 });
    assert.deepEqual(storedStrings('["x","y"]'), ['x', 'y']);
  });
  it('reads anything else as empty', () => {
    for (const bad of [null, '', 'nope', '[1]', '"s"', 'null', '42']) assert.deepEqual(storedObject(bad), {}, String(bad));
    for (const bad of [null, '', 'nope', '{}', 'null']) assert.deepEqual(storedStrings(bad), [], String(bad));
    assert.deepEqual(storedStrings('["a",1,null,"b"]'), ['a', 'b']);
  });
});
