import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryCounterStore } from './counters.js';

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
  it('when full of live windows, evicts the lowest counts closing soonest, not the window opened first', async () => {
    const s = new MemoryCounterStore(100);
    // A blocked client's window, opened first: with equal windows it also closes first.
    for (let i = 0; i < 5; i++) await s.increment('ip:blocked', 60_000);
    await s.increment('twice', 60_000);
    await s.increment('twice', 60_000);
    // A flood of new keys with the same window, far more than the map holds.
    for (let i = 0; i < 10_000; i++) await s.increment(`email:${i}`, 60_000);
    assert.equal((await s.get('ip:blocked')).count, 5);
    assert.equal((await s.get('twice')).count, 2);
    assert.equal((await s.get('email:9999')).count, 1);
    assert.equal((await s.get('email:0')).count, 0);
  });
  it('among equal counts, evicts the windows closing soonest', async () => {
    const s = new MemoryCounterStore(10);
    await s.increment('long', 60_000);
    for (let i = 0; i < 20; i++) await s.increment(`short${i}`, 30_000);
    assert.equal((await s.get('long')).count, 1);
  });
  it('sweeps expired windows before evicting live ones', async () => {
    const s = new MemoryCounterStore(10);
    await s.increment('live', 60_000);
    for (let i = 0; i < 9; i++) await s.increment(`short${i}`, 10);
    await sleep(20);
    await s.increment('new', 60_000);
    assert.equal((await s.get('live')).count, 1);
    assert.equal((await s.get('new')).count, 1);
  });
  it('takes one back within a window, never below zero and never opening one', async () => {
    const s = new MemoryCounterStore();
    await s.increment('k', 60_000);
    await s.increment('k', 60_000);
    await s.decrement('k');
    assert.equal((await s.get('k')).count, 1);
    await s.decrement('k');
    await s.decrement('k');
    assert.equal((await s.get('k')).count, 0);
    await s.decrement('absent');
    assert.equal((await s.get('absent')).count, 0);
    assert.equal((await s.increment('absent', 60_000)).count, 1);
  });
});
