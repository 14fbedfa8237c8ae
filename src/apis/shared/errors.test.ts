import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unavailable } from '../../identity/errors.js';
import { StoreError } from '../../store/errors.js';
import { classifyError, MalformedBody } from './errors.js';

describe('classifyError: by where an error came from (issue 9, point 6)', () => {
  it("takes a client's socket error (the request stream's ECONNRESET, 'aborted') for the client's, not the database's", () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ECONNABORTED']) {
      const c = classifyError(Object.assign(new Error('aborted'), { code, statusCode: 400 }));
      assert.equal(c.status, 400, code);
      assert.notEqual(c.kind, 'unavailable', code);
    }
  });
  it('answers 503 for the store saying the database is unavailable, and for the domain saying so', () => {
    assert.equal(classifyError(new StoreError('unavailable', 'Connection terminated')).status, 503);
    assert.equal(classifyError(unavailable()).status, 503);
  });
  it('answers 400 for a body or query string that cannot be parsed, with its message', () => {
    const c = classifyError(new MalformedBody('MALFORMED_BODY', 'The body is not valid UTF-8'));
    assert.deepEqual(c, { status: 400, kind: 'invalid', code: 'MALFORMED_BODY', message: 'The body is not valid UTF-8', fields: [] });
    assert.equal(classifyError(new MalformedBody('INVALID_PERCENT_ENCODING', 'x')).status, 400);
  });

  it('keeps an unknown error a 500', () => {
    assert.equal(classifyError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })).status, 500);
  });
});
