import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { isSaneRequestId, requestIdOf } from './request-id.js';

const req = (value?: string | string[]) => ({ headers: value === undefined ? {} : { 'x-request-id': value } }) as unknown as IncomingMessage;

describe('request ids', () => {
  it('keeps a sane client id', () => {
    for (const id of ['a', 'abc-123', 'trace:1.2_3', 'x'.repeat(128)]) {
      assert.ok(isSaneRequestId(id), id);
      assert.equal(requestIdOf(req(id)), id);
    }
  });

  it('replaces a missing, long, empty or odd one with a new UUID', () => {
    for (const id of [undefined, '', 'x'.repeat(129), 'a b', 'a\nb', 'é', '<script>', ['a', 'b']]) {
      const made = requestIdOf(req(id));
      assert.match(made, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, String(id));
    }
    assert.notEqual(requestIdOf(req()), requestIdOf(req()));
  });
});
