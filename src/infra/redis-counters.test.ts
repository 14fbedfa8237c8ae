import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryCounterStore, ResilientCounterStore, type CounterStore } from './counters.js';
import { RedisCounterStore } from './redis-counters.js';

const REDIS = process.env.REDIS_URL_TEST;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('RedisCounterStore', { skip: REDIS ? false : 'REDIS_URL_TEST is not set' }, () => {
  // One prefix per run: runs never see each other's keys.
  const prefix = `roster-test:${randomBytes(6).toString('hex')}:`;
  const stores: RedisCounterStore[] = [];
  const open = async () => {
    const s = new RedisCounterStore(REDIS!, { prefix });
    stores.push(s);
    assert.ok(await s.ready(5000), 'Redis at REDIS_URL_TEST answers');
    return s;
  };
  after(async () => {
    try {
      const s = stores[0] ?? (await open());
      const keys = await s.redis.keys(`${prefix}*`);
      if (keys.length > 0) await s.redis.del(...keys);
    } finally {
      await Promise.all(stores.map((x) => x.close()));
    }
  });

  it('counts within a window and resets after it', async () => {
    const s = await open();
    assert.deepEqual(await s.get('k'), { count: 0, resetInMs: 0 });
    assert.equal((await s.increment('k', 300)).count, 1);
    const w = await s.increment('k', 300);
    assert.equal(w.count, 2);
    assert.ok(w.resetInMs > 0 && w.resetInMs <= 300, String(w.resetInMs));
    assert.equal((await s.get('k')).count, 2);
    await sleep(350);
    assert.equal((await s.get('k')).count, 0);
    assert.equal((await s.increment('k', 300)).count, 1);
  });

  it('shares one count between nodes, atomically under concurrency', async () => {
    const a = await open();
    const b = await open();
    const counts = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).increment('shared', 60_000)));
    assert.deepEqual(
      counts.map((c) => c.count).sort((x, y) => x - y),
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    assert.equal((await a.get('shared')).count, 100);
    assert.equal((await b.get('shared')).count, 100);
    // A later increment does not extend the window.
    const before = (await a.get('shared')).resetInMs;
    await sleep(20);
    assert.ok((await b.increment('shared', 60_000)).resetInMs < before);
  });

  it('forgets a key on reset', async () => {
    const s = await open();
    await s.increment('gone', 60_000);
    await s.reset('gone');
    assert.equal((await s.get('gone')).count, 0);
  });

  it('takes one back atomically, keeping the window, never below zero', async () => {
    const a = await open();
    const b = await open();
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).increment('dec', 60_000)));
    const before = (await a.get('dec')).resetInMs;
    await Promise.all(Array.from({ length: 14 }, (_, i) => (i % 2 ? a : b).decrement('dec')));
    const w = await a.get('dec');
    assert.equal(w.count, 0);
    assert.ok(w.resetInMs > 0 && w.resetInMs <= before);
    await a.decrement('never-set');
    assert.equal(await a.redis.exists(`${prefix}never-set`), 0);
  });

  it('writes only under its prefix', async () => {
    const s = await open();
    await s.increment('mine', 60_000);
    assert.equal(await s.redis.exists(`${prefix}mine`), 1);
    assert.equal(await s.redis.exists('mine'), 0);
  });
});

describe('RedisCounterStore with Redis unreachable', () => {
  it('fails commands promptly instead of queueing them, and never crashes the process', async () => {
    const errors: Error[] = [];
    const s = new RedisCounterStore(`redis://127.0.0.1:${await closedPort()}`, { onError: (e) => errors.push(e) });
    try {
      assert.equal(await s.ready(300), false);
      await assert.rejects(s.increment('k', 1000));
      await assert.rejects(s.get('k'));
      await assert.rejects(s.ping());
      await sleep(50);
      assert.ok(errors.length >= 1, 'connection errors are reported, not thrown');
    } finally {
      await s.close();
    }
  });
});

describe('ResilientCounterStore', () => {
  const failing: CounterStore = {
    get: () => Promise.reject(new Error('down')),
    increment: () => Promise.reject(new Error('down')),
    decrement: () => Promise.reject(new Error('down')),
    reset: () => Promise.reject(new Error('down')),
    close: () => Promise.resolve(),
  };

  it('uses the primary while it answers', async () => {
    const primary = new MemoryCounterStore();
    const fallback = new MemoryCounterStore();
    const s = new ResilientCounterStore(primary, fallback);
    await s.increment('k', 1000);
    assert.equal((await primary.get('k')).count, 1);
    assert.equal((await fallback.get('k')).count, 0);
  });

  it('keeps counting on this node when the primary fails, and reports it', async () => {
    const seen: unknown[] = [];
    const s = new ResilientCounterStore(failing, new MemoryCounterStore(), (e) => seen.push(e));
    assert.equal((await s.increment('k', 1000)).count, 1);
    assert.equal((await s.increment('k', 1000)).count, 2);
    assert.equal((await s.get('k')).count, 2);
    await s.reset('k');
    assert.equal((await s.get('k')).count, 0);
    assert.ok(seen.length >= 3);
  });

  it('falls back to memory when Redis itself is unreachable', async () => {
    const redis = new RedisCounterStore(`redis://127.0.0.1:${await closedPort()}`);
    const s = new ResilientCounterStore(redis, new MemoryCounterStore());
    try {
      assert.equal((await s.increment('k', 1000)).count, 1);
      assert.equal((await s.increment('k', 1000)).count, 2);
    } finally {
      await s.close();
    }
  });
});
