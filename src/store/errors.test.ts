import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUnavailable, isUniqueViolation } from './errors.js';

describe('isUnavailable', () => {
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
  for (const [name, err] of retryable) it(`is true for ${name}`, () => assert.ok(isUnavailable(err)));

  const bugs: Array<[string, unknown]> = [
    ['a unique violation', { code: '23505' }],
    ['a syntax error', { code: '42601' }],
    ['a SQLite constraint', { code: 'SQLITE_CONSTRAINT_UNIQUE' }],
    ['a plain error', new Error('boom')],
    ['nothing', undefined],
  ];
  for (const [name, err] of bugs) it(`is false for ${name}`, () => assert.ok(!isUnavailable(err)));

  it('tells unique violations apart', () => {
    assert.ok(isUniqueViolation({ code: '23505' }));
    assert.ok(isUniqueViolation({ code: 'SQLITE_CONSTRAINT_UNIQUE' }));
    assert.ok(!isUniqueViolation({ code: '40001' }));
  });
});
