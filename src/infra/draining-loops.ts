/**
 * The loops of a background queue worker (the mail outbox's sender, the webhook sender): each
 * takes one item at a time until the queue has nothing due, then sleeps `pollMs`, or less when
 * notify() says something was just queued. A failure to read the queue is logged and retried
 * after the pause; it never ends a loop. stop() lets the items in flight finish, for at most a
 * grace period.
 */
export interface DrainingLoopsOptions {
  /** How many loops take items at once. */
  concurrency: number;
  /** The pause when the queue has nothing due. */
  pollMs: number;
  /**
   * Takes and handles one item; false when none was due (or every due one was taken). `loop` is
   * the calling loop's number, 0 to concurrency - 1, for a taker that keeps state per loop.
   */
  takeOne: (loop: number) => Promise<boolean>;
  /** Told when takeOne throws (the queue could not be read). */
  onError: (err: unknown) => void;
}

export class DrainingLoops {
  private running = false;
  private loops: Array<Promise<void>> = [];
  private readonly sleepers = new Set<() => void>();
  /** Set by notify(): the loops that were draining pass over the queue again before they sleep. */
  private woken = false;

  constructor(private readonly opts: DrainingLoopsOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.opts.concurrency; i++) this.loops.push(this.run(i));
  }

  /** Something was just queued: sleeping loops wake at once. */
  notify(): void {
    this.woken = true;
    for (const wake of this.sleepers) wake();
  }

  /** Stops taking items and waits, at most `graceMs`, for the ones in flight. */
  async stop(graceMs: number): Promise<void> {
    this.running = false;
    for (const wake of this.sleepers) wake();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.loops), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    this.loops = [];
  }

  private async run(loop: number): Promise<void> {
    while (this.running) {
      this.woken = false;
      try {
        while (this.running && (await this.opts.takeOne(loop))) {
          /* keep draining */
        }
      } catch (err) {
        this.opts.onError(err);
      }
      if (!this.running || this.woken) continue;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.sleepers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, this.opts.pollMs);
        timer.unref();
        this.sleepers.add(wake);
      });
    }
  }
}
