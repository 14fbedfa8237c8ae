import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DrainingLoops } from './draining-loops.js';

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `done()` holds, polling; fails after 5 s (a loop that never got there). */
async function until(done: () => boolean, what = 'the loops to get there'): Promise<void> {
  const give = performance.now() + 5000;
  while (!done()) {
    if (performance.now() > give) assert.fail(`waited 5 s for ${what}`);
    await tick(5);
  }
}

/** A queue of `items` taken one by one; `taken` records them in order. */
function queue(items: string[]) {
  const taken: string[] = [];
  return {
    taken,
    push: (...more: string[]) => items.push(...more),
    takeOne: async () => {
      await Promise.resolve();
      const next = items.shift();
      if (next === undefined) return false;
      taken.push(next);
      return true;
    },
  };
}

describe('DrainingLoops', () => {
  it('takes every due item, then waits for notify() rather than the poll to take a new one', async () => {
    const q = queue(['a', 'b', 'c']);
    const loops = new DrainingLoops({ concurrency: 1, pollMs: 60_000, takeOne: q.takeOne, onError: () => {} });
    loops.start();
    await until(() => q.taken.length === 3);
    assert.deepEqual(q.taken, ['a', 'b', 'c']);
    q.push('d');
    await tick();
    assert.deepEqual(q.taken, ['a', 'b', 'c'], 'asleep until told or polled');
    loops.notify();
    await until(() => q.taken.length === 4, 'notify() to wake the loop');
    assert.deepEqual(q.taken, ['a', 'b', 'c', 'd']);
    await loops.stop(1000);
  });

  it('polls the queue every pollMs when nobody notifies', async () => {
    const q = queue([]);
    const loops = new DrainingLoops({ concurrency: 1, pollMs: 30, takeOne: q.takeOne, onError: () => {} });
    loops.start();
    await tick();
    q.push('late');
    await until(() => q.taken.length === 1, 'the poll');
    assert.deepEqual(q.taken, ['late']);
    await loops.stop(1000);
  });

  it('passes over the queue again when notified during a pass that found nothing, instead of sleeping', async () => {
    const items: string[] = [];
    const taken: string[] = [];
    let raced = false;
    const takeOne = async () => {
      const next = items.shift();
      await Promise.resolve();
      if (next === undefined && !raced) {
        // Queued and notified after this pass read the queue, before it ended: no loop was asleep.
        raced = true;
        items.push('b');
        loops.notify();
      }
      if (next === undefined) return false;
      taken.push(next);
      return true;
    };
    const loops = new DrainingLoops({ concurrency: 1, pollMs: 60_000, takeOne, onError: () => {} });
    loops.start();
    // Within 5 s, where the next poll is a minute away.
    await until(() => taken.length === 1, 'a second pass');
    assert.deepEqual(taken, ['b']);
    await loops.stop(1000);
  });

  it('logs a queue it cannot read and tries again after the pause; a failure never ends a loop', async () => {
    let failures = 2;
    const errors: string[] = [];
    const q = queue(['x']);
    const takeOne = async () => {
      if (failures > 0) {
        failures--;
        throw new Error('database away');
      }
      return q.takeOne();
    };
    const loops = new DrainingLoops({ concurrency: 1, pollMs: 10, takeOne, onError: (err) => errors.push((err as Error).message) });
    loops.start();
    await until(() => q.taken.length === 1);
    assert.deepEqual(errors, ['database away', 'database away']);
    assert.deepEqual(q.taken, ['x']);
    await loops.stop(1000);
  });

  it('runs `concurrency` items at once', async () => {
    let inFlight = 0;
    let most = 0;
    let left = 9;
    const takeOne = async () => {
      if (left === 0) return false;
      left--;
      inFlight++;
      most = Math.max(most, inFlight);
      await tick(10);
      inFlight--;
      return true;
    };
    const loops = new DrainingLoops({ concurrency: 3, pollMs: 60_000, takeOne, onError: () => {} });
    loops.start();
    await until(() => left === 0 && inFlight === 0);
    assert.equal(most, 3);
    await loops.stop(1000);
  });

  it('stop() waits for the items in flight, at most the grace period, and takes no more', async () => {
    let finished = 0;
    let started = 0;
    /** Items that finish when the test says so. */
    let release: () => void = () => {};
    let released = new Promise<void>((r) => (release = r));
    const held = async () => {
      started++;
      await released;
      finished++;
      return true;
    };
    const quick = new DrainingLoops({ concurrency: 1, pollMs: 60_000, takeOne: held, onError: () => {} });
    quick.start();
    await until(() => started === 1);
    const stopping = quick.stop(5000);
    release();
    await stopping;
    assert.deepEqual([started, finished], [1, 1], 'the one in flight finished, and no other began');

    started = finished = 0;
    released = new Promise<void>((r) => (release = r));
    const stuck = new DrainingLoops({ concurrency: 1, pollMs: 60_000, takeOne: held, onError: () => {} });
    stuck.start();
    await until(() => started === 1);
    await stuck.stop(30);
    assert.deepEqual([started, finished], [1, 0], 'stop gave up after its grace period');
    release();
  });
});
