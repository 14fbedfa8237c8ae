import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digest, formatToken, newObjectId, newPublicId, newSecret, parseToken, secretMatches } from './secrets.js';

describe('secrets', () => {
  it('makes 256-bit secrets and 24-hex object ids', () => {
    assert.equal(Buffer.from(newSecret(), 'base64url').length, 32);
    assert.match(newObjectId(), /^[0-9a-f]{24}$/);
    assert.equal(newObjectId(Date.UTC(2020, 0, 1)).slice(0, 8), (Date.UTC(2020, 0, 1) / 1000).toString(16));
  });
  it('round-trips tokens and refuses other prefixes and shapes', () => {
    const id = newPublicId();
    const secret = newSecret();
    const t = formatToken('rtk', id, secret);
    assert.deepEqual(parseToken('rtk', t), { id, secret });
    assert.equal(parseToken('rpa', t), undefined);
    assert.equal(parseToken('rtk', `${t}x`), undefined);
    assert.equal(parseToken('rtk', 'rtk_zz.zz'), undefined);
  });
  it('matches a secret against its digest only', () => {
    const s = newSecret();
    assert.equal(secretMatches(s, digest(s)), true);
    assert.equal(secretMatches(`${s}x`, digest(s)), false);
    assert.equal(secretMatches(s, 'abcd'), false);
  });
});
