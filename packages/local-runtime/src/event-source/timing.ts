/**
 * Waits that never outlive the mapping: every wait ends early when the mapping stops, so `stop()`
 * never sits behind a retry backoff and no timer keeps the process alive.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * An idle poll that `idle()` can cut short, so a caller waiting for the mapping to catch up does not
 * pay a full poll interval per shard. Retry backoffs deliberately do not use it: waking them would
 * change the retry cadence.
 */
export class Waker {
  private readonly sleepers = new Set<() => void>();
  /** A wake that found nobody asleep is kept for the next wait, or it would be lost to a busy loop. */
  private pending = false;

  constructor(private readonly signal: AbortSignal) {}

  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    if (this.signal.aborted || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.signal.removeEventListener("abort", done);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.signal.addEventListener("abort", done, { once: true });
      this.sleepers.add(done);
    });
  }

  wake(): void {
    if (this.sleepers.size === 0) this.pending = true;
    for (const done of [...this.sleepers]) done();
  }
}

export interface BackoffRange {
  readonly minMs: number;
  readonly maxMs: number;
}

/** Exponential backoff for the n-th consecutive failure (1-based), capped. */
export function backoffMs(failures: number, range: BackoffRange): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(range.maxMs, range.minMs * 2 ** exponent);
}
