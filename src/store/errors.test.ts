import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { driverErrorKind, isUnavailable, isUniqueViolation, StoreError, translateDriverError } from './errors.js';

describe('driverErrorKind', () => {
  const retryable: Array<[string, unknown]> = [
    ['a refused connection', { code: 'ECONNREFUSED' }],
    ['a reset connection', { code: 'ECONNRESET' }],
    ['a connection exception class', { code: '08006' }],
    ['a server shutting down', { code: '57P01' }],
    ['too many connections', { code: '53300' }],
    ['a statement timeout', { code: '57014', message: 'canceling statement due to statement timeout' }],
    ['a serialization failure', { code: '40001' }],
    ['a deadlock', { code: '40P01' }],
    ['SQLite busy', { code: 'SQLITE_BUSY' }],
    ['SQLite busy snapshot', { code: 'SQLITE_BUSY_SNAPSHOT' }],
    ['a lost connection', new Error('Connection terminated unexpectedly')],
    ['a pool wait that timed out', new Error('timeout exceeded when trying to connect')],
    ['a silent connection', new Error('Query read timeout')],
    ['a dead pooled client', new Error('Client has encountered a connection error and is not queryable')],
  ];
  for (const [name, err] of retryable) it(`is unavailable for ${name}`, () => assert.equal(driverErrorKind(err), 'unavailable'));

  it('names constraint and text errors', () => {
    assert.equal(driverErrorKind({ code: '23505' }), 'unique');
    assert.equal(driverErrorKind({ code: 'SQLITE_CONSTRAINT_UNIQUE' }), 'unique');
    assert.equal(driverErrorKind({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }), 'unique');
    assert.equal(driverErrorKind({ code: '23503' }), 'foreign_key');
    assert.equal(driverErrorKind({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }), 'foreign_key');
    assert.equal(driverErrorKind({ code: '22021' }), 'invalid_text');
  });

  const bugs: Array<[string, unknown]> = [
    ['a syntax error', { code: '42601' }],
    ['a plain error', new Error('boom')],
    ['nothing', undefined],
    ['a string', 'ECONNRESET'],
  ];
  for (const [name, err] of bugs) it(`has no kind for ${name}`, () => assert.equal(driverErrorKind(err), undefined));
});

describe('typed store errors', () => {
  it('are what the predicates recognise; raw driver errors are not', () => {
    // A raw socket error that did not come through the store (a client hanging up mid-body) is
    // not a database outage: only a translated error is.
    assert.ok(!isUnavailable({ code: 'ECONNRESET' }));
    assert.ok(!isUniqueViolation({ code: '23505' }));
    const t = translateDriverError({ code: 'ECONNRESET', message: 'read ECONNRESET' });
    assert.ok(t instanceof StoreError);
    assert.ok(isUnavailable(t));
    assert.ok(isUniqueViolation(translateDriverError({ code: '23505', message: 'dup' })));
  });

  it('leaves bugs as they are', () => {
    const bug = new Error('syntax');
    assert.equal(translateDriverError(bug), bug);
  });
});
