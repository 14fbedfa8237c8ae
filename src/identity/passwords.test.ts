import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMON_PASSWORD_COUNT, checkPassword, hashPassword, parsePolicy, verifyDummy, verifyPassword } from './passwords.js';

describe('checkPassword', () => {
  it('accepts a long, uncommon password', () => {
    assert.equal(checkPassword('correct horse battery staple 9', 'juan@example.com'), undefined);
  });
  it('names the rule that failed', () => {
    assert.equal(checkPassword('Ab1!', 'a@b.co')?.rule, 'TOO_SHORT');
    assert.equal(checkPassword('x'.repeat(129), 'a@b.co')?.rule, 'TOO_LONG');
    assert.equal(checkPassword('Password1', 'a@b.co')?.rule, 'COMMON');
    assert.equal(checkPassword('qwertyuiop', 'a@b.co')?.rule, 'COMMON');
    assert.equal(checkPassword('my-juan.perez-secret', 'Juan.Perez@example.com')?.rule, 'CONTAINS_EMAIL');
  });
  it('counts characters, not UTF-16 units', () => {
    assert.equal(checkPassword('🔒🔒🔒🔒🔒🔒🔒', undefined)?.rule, 'TOO_SHORT');
  });
  it('uses a list of at least 10,000 common passwords', () => {
    assert.ok(COMMON_PASSWORD_COUNT() >= 10_000, String(COMMON_PASSWORD_COUNT()));
  });
  it('applies a company override on top of the default', () => {
    const p = parsePolicy('{"minLength":12}');
    assert.equal(p.minLength, 12);
    assert.equal(p.maxLength, 128);
    assert.equal(checkPassword('uncommon-pw1', undefined, p), undefined);
    assert.equal(checkPassword('uncommon-p1', undefined, p)?.rule, 'TOO_SHORT');
    assert.deepEqual(parsePolicy('not json'), parsePolicy(null));
  });
});

describe('argon2id hashing', () => {
  it('hashes with argon2id at OWASP parameters and verifies', async () => {
    const h = await hashPassword('s3cret-enough-pw');
    assert.match(h, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await verifyPassword(h, 's3cret-enough-pw'), true);
    assert.equal(await verifyPassword(h, 'wrong'), false);
    assert.equal(await verifyPassword('not a hash', 'x'), false);
    assert.equal(await verifyDummy('anything'), false);
  });
});
