/**
 * Password policy and hashing. New hashes are argon2id at ROSTER_ARGON2 (m=12 MiB, t=3, p=1, one of
 * OWASP's recommended configurations; defined once, in password-hashes.ts), computed by
 * @node-rs/argon2 in the password worker threads (password-worker.ts), never on the event loop.
 * Hash before a transaction opens, not inside it. Verification accepts every stored format
 * password-hashes.ts accepts (roster's own argon2id and the imported bcrypt, argon2i, scrypt and
 * Django pbkdf2 hashes).
 */
import type { dictionary as Dictionary } from '@zxcvbn-ts/language-common';
import { lazyRequire } from '../infra/lazy-require.js';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { needsRehash } from './password-hashes.js';
import type { PasswordTask } from './password-worker.js';

export { needsRehash };

export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
  /** Refuse the ~49,000 most common passwords (zxcvbn-ts's list), compared case-insensitively. */
  rejectCommon: boolean;
  /** Refuse a password that contains the email's local part (when it is 3+ characters). */
  rejectEmailLocalPart: boolean;
}

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = {
  minLength: 8,
  maxLength: 128,
  rejectCommon: true,
  rejectEmailLocalPart: true,
};

export type PasswordRule = 'TOO_SHORT' | 'TOO_LONG' | 'COMMON' | 'CONTAINS_EMAIL';

export interface PasswordViolation {
  rule: PasswordRule;
  message: string;
}

/** zxcvbn-ts's word lists (about 4 MiB with the set built from them), loaded when the first password is checked. */
const commonList = lazyRequire<{ dictionary: typeof Dictionary }>('@zxcvbn-ts/language-common');
let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set(commonList().dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return common;
}

export const COMMON_PASSWORD_COUNT = (): number => commonPasswords().size;

/** Characters, not UTF-16 units: an emoji counts once. */
const length = (s: string) => [...s].length;

/** The first rule the password breaks, or undefined when it passes. */
export function checkPassword(password: string, email: string | undefined, policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY): PasswordViolation | undefined {
  const n = length(password);
  if (n < policy.minLength) return { rule: 'TOO_SHORT', message: `must be at least ${policy.minLength} characters` };
  if (n > policy.maxLength) return { rule: 'TOO_LONG', message: `must be at most ${policy.maxLength} characters` };
  const lower = password.toLowerCase();
  if (policy.rejectCommon && commonPasswords().has(lower)) {
    return { rule: 'COMMON', message: 'is one of the most common passwords; choose another' };
  }
  if (policy.rejectEmailLocalPart && email) {
    // Both in NFC, as emails are stored: an accent typed either way is the same letter.
    const local = email.trim().toLowerCase().normalize('NFC').split('@')[0] ?? '';
    if (local.length >= 3 && lower.normalize('NFC').includes(local)) return { rule: 'CONTAINS_EMAIL', message: 'must not contain the email address' };
  }
  return undefined;
}

/** Parses a company's stored policy override, falling back to the default for missing keys. */
export function parsePolicy(json: string | null): PasswordPolicy {
  if (!json) return DEFAULT_PASSWORD_POLICY;
  try {
    const o = JSON.parse(json) as Partial<PasswordPolicy>;
    return { ...DEFAULT_PASSWORD_POLICY, ...o };
  } catch {
    return DEFAULT_PASSWORD_POLICY;
  }
}

/**
 * How many password hashes and verifications this process runs at once: one worker thread per core
 * by default (PASSWORD_HASH_CONCURRENCY sets it, main.ts); the rest wait their turn, in order. The
 * threads run at the lowest CPU priority (nice 19): a flood of sign-ups or logins uses every core
 * the event loop leaves idle, and cannot take a core from the event loop that serves every other
 * request (issue 15). An idle thread ends after a minute; the next hash starts one again.
 */
export const DEFAULT_PASSWORD_HASH_CONCURRENCY = Math.max(1, availableParallelism());
let threads = DEFAULT_PASSWORD_HASH_CONCURRENCY;
type Pool = Piscina<PasswordTask, unknown>;
type Balancer = NonNullable<NonNullable<ConstructorParameters<typeof Piscina>[0]>['loadBalancer']>;
type PoolThread = Parameters<Balancer>[1][number];

/**
 * Tasks handed to one thread at once: the one it runs and the next. A thread runs its task
 * synchronously (password-worker.ts), so the next one waits in its own queue and starts the moment
 * the first ends, instead of after the answer has gone to the event loop and a new task come back:
 * a round trip through the event loop (busy with requests during a flood of sign-ups) and two
 * thread wake-ups per hash, during which the thread sat idle (issue 15, bench/README.md round ten).
 * Nothing runs twice at once on a thread: the hashes and verifications in progress, and the memory
 * they hold, stay one per thread. A thread that dies fails both tasks it holds.
 */
export const TASKS_PER_THREAD = 2;

/**
 * Which thread takes a task: an idle one if there is one; else, while the pool has fewer threads
 * than it may (after an idle minute ended some), none, so that piscina starts one rather than
 * queue the task behind another's hash; else the least busy thread with room for a next task, or
 * none (the task waits in the pool's queue, in order).
 */
export function pickPasswordThread(maxThreads: number): Balancer {
  return (_task, threads) => {
    let best: PoolThread | null = null;
    for (const t of threads) {
      if (t.currentUsage === 0) return t;
      if (t.currentUsage < TASKS_PER_THREAD && (best === null || t.currentUsage < best.currentUsage)) best = t;
    }
    return threads.length < maxThreads ? null : best;
  };
}

let pool: Pool | undefined;
/** Tasks given to each pool and not yet settled: a pool is closed only once it has none. */
const given = new Map<Pool, number>();

function newPool(): Pool {
  const made = new Piscina<PasswordTask, unknown>({
    filename: new URL('./password-worker.js', import.meta.url).href,
    minThreads: 0,
    maxThreads: threads,
    concurrentTasksPerWorker: TASKS_PER_THREAD,
    loadBalancer: pickPasswordThread(threads),
    // A thread takes its messages as events, each run to its end (its answer sent) before the next
    // starts. With Atomics (piscina's default) a thread that was waiting reads every message queued
    // for it and starts them all, so the first task's answer waited for the held one's hash too.
    atomics: 'disabled',
    // A task that no thread can take yet goes back to the head of the queue, not its tail: tasks
    // start in the order they came.
    stricterFIFO: true,
    idleTimeout: 60_000,
    niceIncrement: 19,
    // No run/wait-time histograms: nothing reads them, and they cost the event loop per task.
    recordTiming: false,
    // A hashing thread runs no JavaScript to speak of: a small heap keeps each one's memory to
    // little more than argon2id's own 12 MiB (issue 15: peak RSS during a sign-up flood).
    resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16, codeRangeSizeMb: 2 },
    // Never refuse: a task waits (the HTTP request's own timeout bounds how long).
    maxQueue: Infinity,
  });
  // A task's own failure rejects its run(); this hears the pool's (a thread that could not start),
  // which would otherwise be an unhandled 'error' event.
  made.on('error', () => {});
  return made;
}

/** Ends a pool that no task waits on any more (close() would reject the queued ones). */
function retire(old: Pool): void {
  given.delete(old);
  old.close().catch(() => {});
}

async function inWorker<R>(task: PasswordTask): Promise<R> {
  const p = (pool ??= newPool());
  given.set(p, (given.get(p) ?? 0) + 1);
  try {
    return (await p.run(task)) as R;
  } finally {
    const left = given.get(p)! - 1;
    given.set(p, left);
    if (left === 0 && p !== pool) retire(p);
  }
}

export function setPasswordHashConcurrency(n: number): void {
  if (n === threads) return;
  threads = n;
  // New tasks go to a pool of the new size; the old one finishes every task it was given, queued
  // ones included, and is closed after its last.
  const old = pool;
  pool = undefined;
  if (old !== undefined && !given.get(old)) retire(old);
}

/** Hashes and verifications running now, and waiting for a turn. */
export function passwordHashLoad(): { running: number; waiting: number; concurrency: number } {
  let inFlight = 0;
  for (const n of given.values()) inFlight += n;
  return { running: Math.min(inFlight, threads), waiting: Math.max(0, inFlight - threads), concurrency: threads };
}

/** The nice value of a password worker thread (Linux; null elsewhere): 19 when priorities apply. */
export const passwordThreadNiceness = (): Promise<number | null> => inWorker<number | null>({ op: 'niceness' });

export function hashPassword(password: string): Promise<string> {
  return inWorker<string>({ op: 'hash', password });
}

let verifications = 0;
/** Password verifications run by this process (a metric: a login costs one, whether or not the user exists). */
export const passwordVerifications = (): number => verifications;

/**
 * True when the password matches the stored hash, in any accepted format. False for a wrong
 * password and for a stored hash that does not parse (HashFormatError): to a login that is a
 * failed login, never an error.
 */
export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  verifications++;
  // The worker answers false for a stored hash that does not parse (HashFormatError).
  return inWorker<boolean>({ op: 'verify', stored: storedHash, password });
}

/**
 * What an unknown email's login is verified against, so that it costs what a real verification
 * costs and a login cannot tell "no such user" from "wrong password" by its timing: an argon2id
 * hash at ROSTER_ARGON2 of a random password that was thrown away (no secret: nothing verifies
 * against it). A constant, so that no hash is computed at start; passwords.test.ts checks that its
 * parameters are roster's.
 */
export const DUMMY_HASH = '$argon2id$v=19$m=12288,t=3,p=1$Y9+uyG5SUjzPVMd10tXhsQ$2VXMSX018qDxm3ce+d+sVRatGPflMc8tYZ0ZZW7IHg0';

/** Spends the time of a real verification, for an unknown email; always false. */
export async function verifyDummy(password: string): Promise<false> {
  await verifyPassword(DUMMY_HASH, password);
  return false;
}
