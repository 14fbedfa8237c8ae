import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TtlCache } from './ttl-cache.js';

describe('TtlCache', () => {
  it('shares one load among concurrent misses', async () => {
    let loads = 0;
    const c = new TtlCache<number>(1000);
    const load = async () => {
      loads++;
      await sleep(5);
      return 42;
    };
    assert.deepEqual(await Promise.all([c.get('k', load), c.get('k', load), c.get('k', load)]), [42, 42, 42]);
    assert.equal(loads, 1);
  });
  it('loads again after the ttl', async () => {
    let n = 0;
    const c = new TtlCache<number>(10);
    assert.equal(await c.get('k', async () => ++n), 1);
    await sleep(20);
    assert.equal(await c.get('k', async () => ++n), 2);
  });
  it('does not keep a failed load', async () => {
    const c = new TtlCache<number>(1000);
    await assert.rejects(c.get('k', () => Promise.reject(new Error('db down'))));
    assert.equal(await c.get('k', async () => 7), 7);
  });
  it('stays within its bound, dropping the oldest', async () => {
    const c = new TtlCache<number>(1000, 3);
    for (const k of ['a', 'b', 'c', 'd']) await c.get(k, async () => 1);
    assert.equal(c.size, 3);
  });
  it('does not cache at all with a ttl of 0', async () => {
    let n = 0;
    const c = new TtlCache<number>(0);
    await c.get('k', async () => ++n);
    assert.equal(await c.get('k', async () => ++n), 2);
  });
});
