/**
 * Paces work to `perSecond` units on average: `take(n)` resolves once `n` more units fit the rate since
 * the limiter started. No timer outlives a call, so an idle limiter holds nothing open.
 */
export class RateLimiter {
  private readonly start: number;
  private taken = 0;

  constructor(private readonly perSecond: number | undefined, private readonly now: () => number = Date.now) {
    if (perSecond !== undefined && !(perSecond > 0)) throw new RangeError('rate must be a positive number of entries per second');
    this.start = now();
  }

  /** How long to wait before `n` more units fit, in ms (0 when unlimited or behind the rate). */
  delayFor(n: number): number {
    if (this.perSecond === undefined) return 0;
    const due = this.start + ((this.taken + n) / this.perSecond) * 1000;
    return Math.max(0, Math.ceil(due - this.now() - 1000 / this.perSecond));
  }

  /** Waits until `n` units fit, then counts them. */
  async take(n: number, signal?: AbortSignal): Promise<void> {
    const wait = this.delayFor(n);
    this.taken += n;
    if (wait > 0) await sleep(wait, signal);
  }
}

async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
