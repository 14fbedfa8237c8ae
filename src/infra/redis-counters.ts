/**
 * Rate-limit counters in Redis, shared by every node (REDIS_URL). Each increment is one atomic
 * Lua script: INCR, and a PEXPIRE when the key has no expiry yet (a new window). Fixed windows,
 * as MemoryCounterStore.
 *
 * Redis being unreachable never crashes the process and never hangs a request: commands are not
 * queued while disconnected and time out after `commandTimeoutMs`; the caller decides what a
 * failure means (see ResilientCounterStore).
 */
import type { Redis } from 'ioredis';
import { lazyRequire } from './lazy-require.js';

/** ioredis, loaded when REDIS_URL is set. */
const ioredis = lazyRequire<typeof import('ioredis')>('ioredis');
import type { CounterStore, CounterWindow } from './counters.js';

const INCREMENT = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`;

const READ = `
local n = redis.call('GET', KEYS[1])
if not n then return {0, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = 0 end
return {tonumber(n), ttl}
`;

// Takes one back within the open window: DECR keeps the key's expiry; an absent key stays absent.
const DECREMENT = `
local n = redis.call('GET', KEYS[1])
if not n or tonumber(n) <= 0 then return 0 end
return redis.call('DECR', KEYS[1])
`;

interface Scripted {
  rosterIncrement(key: string, windowMs: number): Promise<[number, number]>;
  rosterRead(key: string): Promise<[number, number]>;
  rosterDecrement(key: string): Promise<number>;
}

export interface RedisCounterOptions {
  /** Prepended to every key. */
  prefix?: string;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** Connection errors (Redis down, refused, reset). Called at most once per `errorIntervalMs`. */
  onError?: (err: Error) => void;
}

export class RedisCounterStore implements CounterStore {
  readonly redis: Redis;
  private readonly prefix: string;
  private lastError = 0;

  constructor(url: string, options: RedisCounterOptions = {}) {
    this.prefix = options.prefix ?? 'roster:';
    this.redis = new (ioredis().Redis)(url, {
      connectTimeout: options.connectTimeoutMs ?? 2000,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      // Fail at once while disconnected rather than queue: a request must not wait on Redis.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Keep trying to reconnect, at most every 2 s.
      retryStrategy: (times) => Math.min(times * 100, 2000),
    });
    const onError = options.onError;
    // ioredis emits 'error' on every failed (re)connection attempt; heard, it cannot crash us.
    this.redis.on('error', (err: Error) => {
      const now = Date.now();
      if (onError && now - this.lastError >= 10_000) {
        this.lastError = now;
        onError(err);
      }
    });
    this.redis.defineCommand('rosterIncrement', { numberOfKeys: 1, lua: INCREMENT });
    this.redis.defineCommand('rosterRead', { numberOfKeys: 1, lua: READ });
    this.redis.defineCommand('rosterDecrement', { numberOfKeys: 1, lua: DECREMENT });
  }

  private get scripts(): Scripted {
    return this.redis as unknown as Scripted;
  }

  async get(key: string): Promise<CounterWindow> {
    const [count, ttl] = await this.scripts.rosterRead(this.prefix + key);
    return { count: Number(count), resetInMs: Number(ttl) };
  }

  async increment(key: string, windowMs: number): Promise<CounterWindow> {
    const [count, ttl] = await this.scripts.rosterIncrement(this.prefix + key, Math.max(1, Math.ceil(windowMs)));
    return { count: Number(count), resetInMs: Number(ttl) };
  }

  async decrement(key: string): Promise<void> {
    await this.scripts.rosterDecrement(this.prefix + key);
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  /**
   * Waits until connected (true), or `timeoutMs` (false). Commands fail while disconnected, so a
   * starting node waits for this once; it does not fail to start without Redis.
   */
  async ready(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.redis.on('ready', onReady);
    });
  }

  /** Rejects when Redis does not answer. */
  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
