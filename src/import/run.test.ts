import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreError } from '../store/errors.js';
import { batchSizeOf, DEFAULT_BATCH_SIZE, writeIsolating } from './run.js';
import type { RowError } from './types.js';

describe('writeIsolating', () => {
  const items = [1, 2, 3, 4].map((line) => ({ line }));

  it('writes a batch in one call when it succeeds', async () => {
    const calls: number[][] = [];
    const failed: RowError[] = [];
    const written = await writeIsolating(items, async (part) => void calls.push(part.map((p) => p.line)), failed);
    assert.deepEqual(calls, [[1, 2, 3, 4]]);
    assert.equal(written.length, 4);
    assert.deepEqual(failed, []);
  });

  it('retries row by row after a store error, so that only the refused rows fail', async () => {
    const failed: RowError[] = [];
    const written = await writeIsolating(
      items,
      async (part) => {
        if (part.some((p) => p.line === 3)) throw new StoreError('unique', 'taken');
      },
      failed,
    );
    assert.deepEqual(
      written.map((w) => w.line),
      [1, 2, 4],
    );
    assert.deepEqual(failed, [{ line: 3, field: null, message: 'could not be written: the database refused it (unique)' }]);
  });

  it('stops the run when the database is away, or on an error that is not the store refusing a row', async () => {
    await assert.rejects(
      writeIsolating(items, () => Promise.reject(new StoreError('unavailable', 'gone')), []),
      (e) => e instanceof StoreError && e.kind === 'unavailable',
    );
    await assert.rejects(
      writeIsolating(items, () => Promise.reject(new TypeError('bug')), []),
      TypeError,
    );
  });
});

describe('batchSizeOf', () => {
  it('defaults, and takes 1 to 5000', () => {
    assert.equal(batchSizeOf(undefined), DEFAULT_BATCH_SIZE);
    assert.equal(batchSizeOf(1), 1);
    assert.equal(batchSizeOf(5000), 5000);
    for (const bad of [0, 5001, 1.5, Number.NaN]) assert.throws(() => batchSizeOf(bad), RangeError);
  });
});
