import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryCounterStore } from './rate-limit.js';

describe('MemoryCounterStore', () => {
  it('counts within a window and resets after it', async () => {
    const s = new MemoryCounterStore();
    assert.equal((await s.get('k')).count, 0);
    assert.equal((await s.increment('k', 30)).count, 1);
    const w = await s.increment('k', 30);
    assert.equal(w.count, 2);
    assert.ok(w.resetInMs > 0 && w.resetInMs <= 30);
    await sleep(40);
    assert.equal((await s.get('k')).count, 0);
    assert.equal((await s.increment('k', 30)).count, 1);
  });
  it('forgets a key on reset', async () => {
    const s = new MemoryCounterStore();
    await s.increment('k', 1000);
    await s.reset('k');
    assert.equal((await s.get('k')).count, 0);
  });
  it('stays within its bound', async () => {
    const s = new MemoryCounterStore(10);
    for (let i = 0; i < 50; i++) await s.increment(`k${i}`, 60_000);
    assert.ok((await s.get('k49')).count === 1);
    assert.ok((await s.get('k0')).count === 0);
  });
});
