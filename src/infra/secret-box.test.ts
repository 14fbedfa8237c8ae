import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newSecretKeyText, parseSecretKey, SecretBox, SecretBoxError } from './secret-box.js';

describe('SecretBox', () => {
  const key = parseSecretKey(newSecretKeyText());

  it('seals so that only its key opens, with a fresh IV each time', () => {
    const box = new SecretBox(key);
    const a = box.seal('rut_secret');
    const b = box.seal('rut_secret');
    assert.notEqual(a, b);
    assert.ok(!a.includes('rut_secret'));
    assert.equal(box.open(a), 'rut_secret');
    assert.throws(() => new SecretBox(parseSecretKey(newSecretKeyText())).open(a), SecretBoxError);
  });

  it('refuses a tampered or truncated value', () => {
    const box = new SecretBox(key);
    const sealed = box.seal('value');
    const [v, id, data] = sealed.split('.');
    const flipped = Buffer.from(data!, 'base64url');
    flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 1;
    assert.throws(() => box.open(`${v}.${id}.${flipped.toString('base64url')}`), SecretBoxError);
    assert.throws(() => box.open(`${v}.${id}.AAAA`), SecretBoxError);
    assert.throws(() => box.open('nonsense'), SecretBoxError);
  });

  it('opens values of a previous key during a rotation and says they are stale', () => {
    const old = new SecretBox(key);
    const sealed = old.seal('kept');
    const next = new SecretBox(parseSecretKey(newSecretKeyText()), [key]);
    assert.equal(next.open(sealed), 'kept');
    assert.ok(next.isStale(sealed));
    assert.ok(!next.isStale(next.seal('kept')));
  });

  it('parses hex and base64 keys of 32 bytes only', () => {
    assert.equal(parseSecretKey('ab'.repeat(32)).length, 32);
    assert.equal(parseSecretKey(Buffer.alloc(32, 7).toString('base64url')).length, 32);
    assert.throws(() => parseSecretKey('short'), SecretBoxError);
    assert.throws(() => parseSecretKey(Buffer.alloc(31).toString('base64')), SecretBoxError);
  });
});
