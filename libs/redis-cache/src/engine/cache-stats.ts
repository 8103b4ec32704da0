import type { CacheInstrumentation, CacheStats, CircuitState } from './cache.types.js';

/** The counters of {@link CacheStats}; the derived and state fields are filled in by the engine. */
export type CacheCounterName =
  | 'l1Hits' | 'l1Misses' | 'l2Hits' | 'l2Misses' | 'misses' | 'loads' | 'coalesced' | 'staleServed'
  | 'sets' | 'deletes' | 'invalidations' | 'errors' | 'timeouts'
  | 'loadTimeouts' | 'loadErrors' | 'refreshes' | 'lockAcquired' | 'lockWaits' | 'lockTimeouts'
  | 'l1Bypassed' | 'busPublished' | 'busReceived' | 'busAckTimeouts' | 'busUnconfirmed' | 'busResubscribes'
  | 'oversized' | 'compressed' | 'writesRefused';

/**
 * Plain integer counters. JavaScript runs one callback at a time, so `+= 1` needs no lock and the hot path
 * stays allocation-free; a snapshot is assembled only when someone asks.
 */
export class CacheStatsCounter {
  private counts: Record<CacheCounterName, number> = CacheStatsCounter.zero();

  /** @param hooks the metrics observer, and the key prefix to strip when naming a key's group. */
  constructor(private readonly hooks: { instrumentation?: CacheInstrumentation; keyPrefix?: string } = {}) {}

  private static zero(): Record<CacheCounterName, number> {
    return {
      l1Hits: 0, l1Misses: 0, l2Hits: 0, l2Misses: 0, misses: 0, loads: 0, coalesced: 0, staleServed: 0,
      sets: 0, deletes: 0, invalidations: 0, errors: 0, timeouts: 0,
      loadTimeouts: 0, loadErrors: 0, refreshes: 0, lockAcquired: 0, lockWaits: 0, lockTimeouts: 0,
      l1Bypassed: 0, busPublished: 0, busReceived: 0, busAckTimeouts: 0, busUnconfirmed: 0, busResubscribes: 0,
      oversized: 0, compressed: 0, writesRefused: 0,
    };
  }

  /** Adds `by` (default 1) to a counter; `pk` (the physical key) names the group reported to instrumentation. */
  increment(name: CacheCounterName, by = 1, pk?: string): void {
    this.counts[name] += by;
    const instrumentation = this.hooks.instrumentation;
    if (!instrumentation?.onCount) return;
    try {
      instrumentation.onCount(name, by, pk === undefined ? undefined : this.groupOf(pk));
    } catch (error) {
      this.observerFailed(error);
    }
  }

  /** Whether an observer wants Redis call durations (else the guard does not read the clock for them). */
  get timesRedisCalls(): boolean {
    return this.hooks.instrumentation?.onRedisCall !== undefined;
  }

  /** Reports one guarded Redis call to instrumentation. */
  observeRedisCall(operation: string, durationMs: number, outcome: 'ok' | 'error' | 'timeout' | 'rejected'): void {
    const instrumentation = this.hooks.instrumentation;
    if (!instrumentation?.onRedisCall) return;
    try {
      instrumentation.onRedisCall(operation, durationMs, outcome);
    } catch (error) {
      this.observerFailed(error);
    }
  }

  /**
   * An observer threw: it must never break the cache. Counted as an error (straight into the counter, not
   * through the observer that just failed) and kept as `lastObserverError` for whoever debugs the exporter.
   */
  private observerFailed(error: unknown): void {
    this.counts.errors += 1;
    this.lastObserverError = error instanceof Error ? error.name : typeof error;
  }

  /** The kind of the last error an observer threw, if any (see {@link increment}). */
  lastObserverError?: string;

  /** The namespace of a physical key (`<prefix><namespace>:…`, also for hashed keys). */
  private groupOf(pk: string): string {
    const prefix = this.hooks.keyPrefix ?? '';
    const logical = pk.startsWith(prefix) ? pk.slice(prefix.length) : pk;
    const end = logical.indexOf(':');
    return end === -1 ? logical : logical.slice(0, end);
  }

  /** Sets every counter back to zero. */
  reset(): void {
    this.counts = CacheStatsCounter.zero();
  }

  /**
   * A snapshot. `hits` counts reads answered from any tier (l1 + l2 + stale), `misses` reads answered by
   * neither; `hitRate` = hits / (hits + misses) as a percentage rounded to two decimals.
   */
  snapshot(state: {
    redisEnabled: boolean;
    redisAvailable: boolean;
    circuit: CircuitState;
    l1: CacheStats['l1'];
    bus: CacheStats['bus'];
  }): CacheStats {
    const c = this.counts;
    const hits = c.l1Hits + c.l2Hits + c.staleServed;
    const totalRequests = hits + c.misses;
    const hitRate = totalRequests === 0 ? 0 : Math.round((hits / totalRequests) * 10_000) / 100;
    return { ...c, hits, hitRate, totalRequests, ...state, l1: { ...state.l1 }, bus: { ...state.bus } };
  }
}
