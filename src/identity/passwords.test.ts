import { hash as bcryptHash } from '@node-rs/bcrypt';
import assert from 'node:assert/strict';
import { pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  COMMON_PASSWORD_COUNT,
  checkPassword,
  DUMMY_HASH,
  needsRehash,
  hashPassword,
  parsePolicy,
  passwordHashLoad,
  passwordThreadNiceness,
  pickPasswordThread,
  setPasswordHashConcurrency,
  TASKS_PER_THREAD,
  verifyDummy,
  verifyPassword,
} from './passwords.js';

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
    assert.equal(checkPassword('my-jose\u0301-secret-x', 'Jos\u00e9@example.com')?.rule, 'CONTAINS_EMAIL', 'an accent typed either way');
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
    assert.match(h, /^\$argon2id\$v=19\$m=12288,t=3,p=1\$/);
    assert.equal(await verifyPassword(h, 's3cret-enough-pw'), true);
    assert.equal(await verifyPassword(h, 'wrong'), false);
    assert.equal(await verifyPassword('not a hash', 'x'), false);
    assert.equal(await verifyDummy('anything'), false);
  });

  it("verifies an unknown email's login against a hash at roster's own parameters", () => {
    // Else an unknown email would cost less (or more) than a wrong password, and show.
    assert.equal(needsRehash(DUMMY_HASH), false);
  });
});

describe('bounded password hashing (PASSWORD_HASH_CONCURRENCY)', () => {
  it('runs at most the set number of hashes and verifications at once; the rest wait, then all finish', async () => {
    const before = passwordHashLoad().concurrency;
    setPasswordHashConcurrency(1);
    try {
      const stored = await hashPassword('first-Passphrase-1');
      const work = [
        hashPassword('a-Passphrase-1'),
        hashPassword('b-Passphrase-2'),
        verifyPassword(stored, 'first-Passphrase-1'),
        verifyPassword(stored, 'wrong'),
      ];
      // Look once the submissions have settled.
      await Promise.resolve();
      assert.deepEqual(passwordHashLoad(), { running: 1, waiting: 3, concurrency: 1 });
      const [a, b, ok, wrong] = await Promise.all(work);
      assert.equal(await verifyPassword(a as string, 'a-Passphrase-1'), true);
      assert.equal(await verifyPassword(b as string, 'b-Passphrase-2'), true);
      assert.deepEqual([ok, wrong], [true, false]);
      assert.deepEqual(passwordHashLoad(), { running: 0, waiting: 0, concurrency: 1 });
      setPasswordHashConcurrency(2);
      const two = [hashPassword('c-Passphrase-3'), hashPassword('d-Passphrase-4'), hashPassword('e-Passphrase-5')];
      await Promise.resolve();
      assert.deepEqual(passwordHashLoad(), { running: 2, waiting: 1, concurrency: 2 });
      await Promise.all(two);
    } finally {
      setPasswordHashConcurrency(before);
    }
  });

  it('answers each task as soon as its own hash ends, in the order the tasks came, with one thread holding the next', async () => {
    const before = passwordHashLoad().concurrency;
    setPasswordHashConcurrency(1);
    try {
      await hashPassword('warm-Passphrase-0'); // the thread starts
      // Two at once on one thread: the second is held by the thread while the first runs. The first
      // answer must come back when its own hash ends, and the second a hash later; with Atomics a
      // waiting thread started both before answering either, and both answers came together after
      // two hashes. Measured against the pair's own first hash, so a slow machine slows both sides.
      const t0 = performance.now();
      const done: number[] = [];
      await Promise.all([hashPassword('k-Passphrase-1'), hashPassword('l-Passphrase-2')].map((p) => p.then(() => done.push(performance.now() - t0))));
      const [first, second] = done as [number, number];
      assert.ok(second - first > first * 0.25, `answers at ${first.toFixed(1)} and ${second.toFixed(1)} ms: the first waited for the second's hash`);
      // Many at once: each settles in the order it was given.
      const order: number[] = [];
      await Promise.all(Array.from({ length: 8 }, (_, i) => hashPassword(`m-Passphrase-${i}`).then(() => order.push(i))));
      assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7]);
    } finally {
      setPasswordHashConcurrency(before);
    }
  });

  it('finishes every task already queued when the number changes, the first included', async () => {
    const before = passwordHashLoad().concurrency;
    setPasswordHashConcurrency(1);
    try {
      const queued = ['f-Passphrase-1', 'g-Passphrase-2', 'h-Passphrase-3', 'i-Passphrase-4'].map((p) => hashPassword(p));
      setPasswordHashConcurrency(2);
      const later = hashPassword('j-Passphrase-5');
      const hashes = await Promise.all([...queued, later]);
      assert.equal(hashes.length, 5);
      assert.equal(await verifyPassword(hashes[3]!, 'i-Passphrase-4'), true);
      assert.deepEqual(passwordHashLoad(), { running: 0, waiting: 0, concurrency: 2 });
    } finally {
      setPasswordHashConcurrency(before);
    }
  });
});

describe('pickPasswordThread (which hashing thread takes a task)', () => {
  type Threads = Parameters<ReturnType<typeof pickPasswordThread>>[1];
  const threads = (...usage: number[]) => usage.map((currentUsage, id) => ({ id, currentUsage })) as unknown as Threads;
  const pick = (max: number, t: Threads) => pickPasswordThread(max)({} as never, t)?.id ?? null;

  it('gives each thread a next task to start when its own ends, never more', () => {
    assert.equal(TASKS_PER_THREAD, 2);
    assert.equal(pick(2, threads(1, 1)), 0);
    assert.equal(pick(2, threads(2, 1)), 1);
    assert.equal(pick(2, threads(2, 2)), null, 'every thread has its next: the task waits in the pool, in order');
  });

  it('takes an idle thread before a busy one, wherever it is', () => {
    assert.equal(pick(3, threads(1, 1, 0)), 2);
    assert.equal(pick(2, threads(1, 0)), 1);
  });

  it('starts a thread rather than queue a task behind a hash while the pool has fewer than it may', () => {
    assert.equal(pick(2, threads(1)), null);
    assert.equal(pick(2, threads()), null);
    assert.equal(pick(1, threads(1)), 0, 'a pool of one thread queues on it');
  });
});

describe('password worker threads', () => {
  it('hash and verify off the event loop: timers keep firing during each, for every stored format', async () => {
    const salt = randomBytes(16);
    const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
    const stored = [
      await hashPassword('worker-Passphrase-1'),
      await bcryptHash('worker-Passphrase-1', 10),
      `$scrypt$ln=15,r=8,p=1$${b64(salt)}$${b64(scryptSync('worker-Passphrase-1', salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }))}`,
      `pbkdf2_sha256$600000$seasalt$${pbkdf2Sync('worker-Passphrase-1', 'seasalt', 600_000, 32, 'sha256').toString('base64')}`,
    ];
    for (const s of stored) {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      try {
        assert.equal(await verifyPassword(s, 'worker-Passphrase-1'), true, s.slice(0, 12));
        assert.equal(await verifyPassword(s, 'worker-Passphrase-2'), false, s.slice(0, 12));
      } finally {
        clearInterval(timer);
      }
      assert.ok(ticks >= 2, `${s.slice(0, 12)}: only ${ticks} timer ticks during two verifications`);
    }
  });

  it(
    'run at the lowest CPU priority (nice 19), so the event loop always gets its core first',
    { skip: process.platform !== 'linux' && 'Linux only' },
    async () => {
      assert.equal(await passwordThreadNiceness(), 19);
    },
  );
});
