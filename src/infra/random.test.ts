import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secureRandomBytes } from './random.js';

describe('secureRandomBytes', () => {
  it('hands out the requested length, never the same bytes twice, across many pool refills', () => {
    const seen = new Set<string>();
    const views: Buffer[] = [];
    for (let i = 0; i < 5000; i++) {
      const n = [8, 12, 16, 32][i % 4]!;
      const b = secureRandomBytes(n);
      assert.equal(b.length, n);
      const hex = b.toString('hex');
      assert.ok(!seen.has(hex), 'a repeated value');
      seen.add(hex);
      views.push(b);
    }
    // Views handed out earlier are not overwritten by later refills.
    assert.equal(new Set(views.map((v) => v.toString('hex'))).size, views.length);
    assert.deepEqual(
      views.map((v) => v.toString('hex')),
      [...seen],
    );
  });

  it('serves large requests straight from the CSPRNG', () => {
    const a = secureRandomBytes(4096);
    const b = secureRandomBytes(4096);
    assert.equal(a.length, 4096);
    assert.notDeepEqual(a, b);
  });

  it('is not all zeros (the pool is filled, not merely allocated)', () => {
    const sample = Buffer.concat(Array.from({ length: 64 }, () => secureRandomBytes(32)));
    assert.ok(sample.some((x) => x !== 0));
    // Roughly uniform: each bit is set in about half the bytes (2,048 bytes, loose bounds).
    for (let bit = 0; bit < 8; bit++) {
      const ones = sample.reduce((n, x) => n + ((x >> bit) & 1), 0);
      assert.ok(ones > 850 && ones < 1200, `bit ${bit}: ${ones} of ${sample.length}`);
    }
  });
});
