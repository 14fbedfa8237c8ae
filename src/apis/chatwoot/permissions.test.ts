import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appIdOf, nonPermissible, parseId, recordNotFound } from './permissions.js';
import type { Principal } from '../../identity/credentials.js';
import { actingAs } from '../../events/types.js';

describe('parseId', () => {
  for (const [raw, id] of [
    [1, 1],
    ['42', 42],
    [' 7 ', 7],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    ['0009', 9],
  ] as const) {
    it(`reads ${JSON.stringify(raw)} as ${id}`, () => assert.equal(parseId(raw), id));
  }
  for (const raw of [
    0,
    -1,
    1.5,
    NaN,
    Infinity,
    2 ** 53,
    '0',
    '-1',
    '1.5',
    '1e3',
    '0x10',
    'abc',
    '',
    '99999999999999999',
    '٣',
    null,
    undefined,
    true,
    [1],
    { id: 1 },
  ]) {
    it(`refuses ${JSON.stringify(raw)}`, () => assert.equal(parseId(raw), undefined));
  }
});

describe('permission errors', () => {
  it('are a 404 and a forbidden kind with Chatwoot codes', () => {
    assert.equal(recordNotFound().kind, 'not_found');
    assert.equal(nonPermissible().kind, 'forbidden');
    assert.equal(nonPermissible().code, 'NON_PERMISSIBLE');
  });

  it('needs a platform app principal', () => {
    const p: Principal = {
      credentialId: 'abc',
      kind: 'platform_app',
      companyId: 1,
      companyCode: 'c',
      companyName: 'C',
      botId: null,
      botName: null,
      acting: actingAs({ kind: 'platform_app', id: 'abc' }),
    };
    assert.equal(appIdOf(p), 'abc');
    assert.throws(() => appIdOf({ ...p, kind: 'api_token' }));
  });
});
