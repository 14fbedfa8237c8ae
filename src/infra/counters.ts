/**
 * Counters for rate limits (failed logins per email and per IP, and the like). Fixed windows: the
 * first hit of a key opens a window of `windowMs`; the count resets when it closes.
 *
 * One node keeps them in memory; several nodes share them in Redis (REDIS_URL), so that a limit is
 * global and not per node. Both implement this interface.
 */
export interface CounterWindow {
  count: number;
  /** Milliseconds until the window closes (0 when there is no window). */
  resetInMs: number;
}

export interface CounterStore {
  /** The current count of `key` (0 when no window is open). */
  get(key: string): Promise<CounterWindow>;
  /** Adds one to `key`, opening a window of `windowMs` when none is open; returns the new count. */
  increment(key: string, windowMs: number): Promise<CounterWindow>;
  /**
   * Takes one back from `key` within its open window (never below zero, never opening or
   * extending a window): undoes an attempt counted ahead of a check that turned out fine.
   */
  decrement(key: string): Promise<void>;
  /** Forgets `key`. */
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * In-process counters, for a single node, at most `maxKeys` of them. When full, expired windows
 * are swept first; if it is still full of live windows, those that hold least go: the lowest
 * counts, and among equal counts the ones closest to closing (a tenth of the map at a time). Never
 * simply the oldest: a blocked client's window, opened first and high, survives a flood of new keys.
 */
export class MemoryCounterStore implements CounterStore {
  private readonly windows = new Map<string, { count: number; expires: number }>();

  constructor(private readonly maxKeys = 100_000) {}

  /** How many windows are held (expired ones included until swept). */
  get size(): number {
    return this.windows.size;
  }

  async get(key: string): Promise<CounterWindow> {
    const w = this.windows.get(key);
    const now = Date.now();
    if (!w || w.expires <= now) return { count: 0, resetInMs: 0 };
    return { count: w.count, resetInMs: w.expires - now };
  }

  async increment(key: string, windowMs: number): Promise<CounterWindow> {
    const now = Date.now();
    let w = this.windows.get(key);
    if (!w || w.expires <= now) {
      if (this.windows.size >= this.maxKeys) this.sweep(now);
      w = { count: 0, expires: now + windowMs };
      this.windows.set(key, w);
    }
    w.count++;
    return { count: w.count, resetInMs: w.expires - now };
  }

  async decrement(key: string): Promise<void> {
    const w = this.windows.get(key);
    if (w && w.expires > Date.now() && w.count > 0) w.count--;
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key);
  }

  async close(): Promise<void> {
    this.windows.clear();
  }

  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (w.expires <= now) this.windows.delete(k);
    if (this.windows.size < this.maxKeys) return;
    // Still full of live windows: rather than grow without bound, drop the least telling ones
    // (lowest count, then closing soonest), a batch at a time so a flood costs one sort per batch.
    const batch = Math.max(1, Math.ceil(this.maxKeys / 10), this.windows.size - this.maxKeys + 1);
    const least = [...this.windows].sort((a, b) => a[1].count - b[1].count || a[1].expires - b[1].expires).slice(0, batch);
    for (const [k] of least) this.windows.delete(k);
  }
}

/**
 * Shared counters with a per-node fallback. When the shared store (Redis) fails, the operation is
 * answered by the in-memory store instead: the limits keep holding, per node (so N nodes allow up
 * to N times the limit), and no request fails or waits because Redis is down. Neither fail-open
 * (no limit at all: a brute-force window) nor fail-closed (every login refused: an outage caused by
 * a cache). When the shared store answers again, it is used again.
 */
export class ResilientCounterStore implements CounterStore {
  constructor(
    readonly primary: CounterStore,
    readonly fallback: CounterStore,
    private readonly onFallback: (err: unknown) => void = () => {},
  ) {}

  private async either<T>(op: (s: CounterStore) => Promise<T>): Promise<T> {
    try {
      return await op(this.primary);
    } catch (err) {
      this.onFallback(err);
      return op(this.fallback);
    }
  }

  get(key: string): Promise<CounterWindow> {
    return this.either((s) => s.get(key));
  }

  increment(key: string, windowMs: number): Promise<CounterWindow> {
    return this.either((s) => s.increment(key, windowMs));
  }

  decrement(key: string): Promise<void> {
    return this.either((s) => s.decrement(key));
  }

  async reset(key: string): Promise<void> {
    // Forget it in both: a window may have been opened in memory while the primary was away.
    await Promise.allSettled([this.primary.reset(key), this.fallback.reset(key)]);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.primary.close(), this.fallback.close()]);
  }
}
