import type { CacheEngine } from '../../libs/redis-cache/src/engine/cache-engine.js';

/**
 * How a read made after a write was acknowledged ended:
 * - `current`: it returned the acknowledged value;
 * - `older`: it returned another one — the strict promise broken, always a failure;
 * - `fallback`: it returned nothing while the reader visibly distrusted its cache (bus lease lapsed, a peer
 *   silent) or an L2 read failed — the documented fallback (the caller loads from its source), not stale;
 * - `lost`: it returned nothing with no fault to explain it — the acknowledged value vanished, a failure.
 */
export type AfterAck = 'current' | 'older' | 'fallback' | 'lost';

/** Whether `engine` answered from its fallback during a read (see {@link AfterAck}), from its stats around it. */
function distrusted(before: ReturnType<CacheEngine['getStats']>, after: ReturnType<CacheEngine['getStats']>): boolean {
  const wary = (s: typeof before) => s.bus.state !== 'live' || !s.bus.trusted;
  return wary(before) || wary(after) || after.l1Bypassed > before.l1Bypassed || after.errors > before.errors;
}

/** Reads with `read` on `engine` and judges the answer; `isCurrent` says whether a value is the acknowledged one. */
export async function readAfterAck<T>(engine: CacheEngine, read: () => Promise<T | undefined>, isCurrent: (value: T) => boolean): Promise<AfterAck> {
  const before = engine.getStats();
  const value = await read();
  if (value !== undefined) return isCurrent(value) ? 'current' : 'older';
  return distrusted(before, engine.getStats()) ? 'fallback' : 'lost';
}

/** Counts of {@link AfterAck} outcomes. */
export class AfterAckTally {
  readonly counts: Record<AfterAck, number> = { current: 0, older: 0, fallback: 0, lost: 0 };

  add(outcome: AfterAck): void {
    this.counts[outcome] += 1;
  }

  /** Reads that broke the promise: an older value, or an acknowledged value gone without a fault. */
  get broken(): number {
    return this.counts.older + this.counts.lost;
  }

  toString(): string {
    const c = this.counts;
    return `${c.current} current, ${c.older} older, ${c.fallback} fallback (cache distrusted), ${c.lost} lost`;
  }
}

/**
 * When this process was last stalled (its event loop blocked or starved) for at least `thresholdMs`. On the
 * shared 2-core machine a test file can be starved for longer than a bus lease; the engines of one test process
 * then all lapse together. A test uses it to tell rounds the machine broke (their timing figures and ack timeouts
 * are not the code's) from clean ones — never to excuse an older value.
 *
 * A 5 ms ticker records each gap; a stall still under way when asked (the ticker has not run since) counts too,
 * as a timer-phase sampler such as `monitorEventLoopDelay` would report it only after the caller had looked.
 */
export class StallWatch {
  private lastTick = performance.now();
  private lastStallEnd = Number.NEGATIVE_INFINITY;
  private readonly ticker: NodeJS.Timeout;

  constructor(private readonly thresholdMs: number) {
    this.ticker = setInterval(() => {
      const now = performance.now();
      if (now - this.lastTick >= this.thresholdMs) this.lastStallEnd = now;
      this.lastTick = now;
    }, 5);
    this.ticker.unref();
  }

  /** `performance.now()` at the end of the last stall (now, if one is under way); -Infinity if none yet. */
  lastStallAt(): number {
    const now = performance.now();
    return now - this.lastTick >= this.thresholdMs ? now : this.lastStallEnd;
  }

  stop(): void {
    clearInterval(this.ticker);
  }
}

/**
 * Whether a round of write-then-read that began at `begunAt` is clean: every read `current`, and this process
 * not stalled since `marginMs` before it began (a stall's effects outlast it: leases lapse, subscriptions are
 * renewed). Timing and ack-timeout figures are taken over clean rounds; an older or lost read fails any round.
 */
export function cleanRound(stalls: StallWatch, begunAt: number, outcomes: readonly AfterAck[], marginMs: number): boolean {
  return outcomes.every((o) => o === 'current') && begunAt - stalls.lastStallAt() > marginMs;
}
