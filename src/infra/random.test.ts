import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secureRandomBytes, secureRandomString } from './random.js';

describe('secureRandomString and secureRandomBytes', () => {
  it('hand out the requested length and never the same bytes twice, across many pool refills', () => {
    // Drawn alternately from the one pool: 5,000 draws of 8 to 32 bytes are about 25 refills.
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const n = [8, 12, 16, 32][i % 4]!;
      const hex = i % 2 === 0 ? secureRandomString(n, 'hex') : secureRandomBytes(n).toString('hex');
      assert.equal(hex.length, 2 * n);
      // No overlap either: a repeated 8-byte window of any draw would show as a repeat here.
      for (let at = 0; at + 16 <= hex.length; at += 16) {
        const window = hex.slice(at, at + 16);
        assert.ok(!seen.has(window), `bytes handed out twice: ${window}`);
        seen.add(window);
      }
    }
  });

  it('hand out adjacent draws that do not overlap by even a byte', () => {
    // Overlapping draws would repeat the end of one at the start of the next every time; random
    // ones do so about once in 256.
    let previous = secureRandomString(8, 'hex');
    let same = 0;
    for (let i = 0; i < 2000; i++) {
      const next = secureRandomString(8, 'hex');
      if (previous.slice(-2) === next.slice(0, 2)) same++;
      previous = next;
    }
    assert.ok(same < 40, `${same} of 2,000 draws began with the byte the draw before ended with`);
  });

  it('give Buffers of their own, which later draws do not change', () => {
    const first = secureRandomBytes(16);
    const copy = Buffer.from(first);
    assert.equal(first.byteOffset, 0);
    assert.equal(first.buffer.byteLength, 16, 'no view of the pool');
    for (let i = 0; i < 1000; i++) secureRandomBytes(32);
    assert.deepEqual(first, copy);
  });

  it('encode as asked', () => {
    assert.match(secureRandomString(8, 'hex'), /^[0-9a-f]{16}$/);
    assert.match(secureRandomString(32, 'base64url'), /^[A-Za-z0-9_-]{43}$/);
    assert.equal(secureRandomString(0, 'hex'), '');
  });

  it('serve large requests straight from the CSPRNG', () => {
    const a = secureRandomBytes(4096);
    const b = secureRandomBytes(4096);
    assert.equal(a.length, 4096);
    assert.notDeepEqual(a, b);
    assert.equal(secureRandomString(1024, 'hex').length, 2048);
  });

  it('refuse a byte count that is negative or not an integer', () => {
    for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => secureRandomBytes(n), RangeError, String(n));
      assert.throws(() => secureRandomString(n, 'hex'), RangeError, String(n));
    }
  });

  it('are not all zeros (the pool is filled, not merely allocated)', () => {
    const sample = Buffer.concat(Array.from({ length: 64 }, () => secureRandomBytes(32)));
    // Roughly uniform: each bit is set in about half the bytes (2,048 bytes, loose bounds).
    for (let bit = 0; bit < 8; bit++) {
      const ones = sample.reduce((n, x) => n + ((x >> bit) & 1), 0);
      assert.ok(ones > 850 && ones < 1200, `bit ${bit}: ${ones} of ${sample.length}`);
    }
  });
});
