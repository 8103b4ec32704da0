import type { Counter, Histogram, Registry } from 'prom-client';
import type { CacheService } from '../nest/cache.service.js';

/** Options of {@link RedisCacheMetrics.register}. */
export interface RedisCacheMetricsOptions {
  /** Registry to register in (default: prom-client's global `register`). */
  registry?: Registry;
  /** Metric name prefix (default `redis_cache_`). */
  prefix?: string;
  /** Most distinct key groups (namespaces) labelled; later ones are counted as `other` (default 50). */
  maxGroups?: number;
}

/** Engine counters exported per key group, and the label values they map to. */
const READS: Record<string, { tier: string; result: string }> = {
  l1Hits: { tier: 'l1', result: 'hit' },
  l1Misses: { tier: 'l1', result: 'miss' },
  l2Hits: { tier: 'l2', result: 'hit' },
  l2Misses: { tier: 'l2', result: 'miss' },
};
const EVENTS: Record<string, string> = {
  misses: 'miss', loads: 'load', staleServed: 'stale', coalesced: 'coalesced', loadErrors: 'load_error', loadTimeouts: 'load_timeout',
  busUnconfirmed: 'write_unconfirmed', writesRefused: 'write_refused',
};
const CIRCUIT = { closed: 0, 'half-open': 1, open: 2 } as const;

/**
 * Prometheus metrics of one {@link CacheService}, labelled by tier and key group (the namespace — never a
 * raw key, and at most `maxGroups` of them): reads by tier and result, misses/loads/stale/coalesced/load
 * failures, strict writes not confirmed or refused, Redis call latency and failures by operation, circuit state,
 * Redis availability, coherence (trusted, dark, silent members), L1 size.
 * `prom-client` is an optional peer dependency, loaded only when this is used.
 *
 * @example
 * { provide: RedisCacheMetrics, inject: [CacheService], useFactory: (cache: CacheService) => RedisCacheMetrics.register(cache, { registry }) }
 */
export class RedisCacheMetrics {
  private readonly groups = new Set<string>();
  /**
   * Counts since the last scrape, by counter and group. A hit only adds to a number here; prom-client's
   * labelled `inc` (a label-set hash per call, ~3 % of a warm poll) runs once per series at scrape time.
   */
  private readonly pending = new Map<string, { read: boolean; labels: Record<string, string>; by: number }>();
  private detach?: () => void;

  private constructor(
    private readonly maxGroups: number,
    private readonly reads: Counter,
    private readonly events: Counter,
    private readonly redisCalls: Histogram,
    private readonly redisFailures: Counter,
  ) {}

  /** Creates the metrics in `options.registry` and starts observing `cache`. */
  static async register(cache: CacheService, options: RedisCacheMetricsOptions = {}): Promise<RedisCacheMetrics> {
    const prom = await import('prom-client');
    const registers = [options.registry ?? prom.register];
    const p = options.prefix ?? 'redis_cache_';
    // The counters flush into themselves at scrape time; the instance exists only after they do.
    const self: { metrics?: RedisCacheMetrics } = {};
    const reads = new prom.Counter({
      name: `${p}reads_total`, help: 'Cache tier reads by tier, result and key group', labelNames: ['tier', 'result', 'group'], registers,
      collect() { self.metrics?.flush(); },
    });
    const events = new prom.Counter({
      name: `${p}events_total`, help: 'Misses of both tiers, loads, stale answers, coalesced callers and load failures by key group',
      labelNames: ['event', 'group'], registers,
      collect() { self.metrics?.flush(); },
    });
    const redisCalls = new prom.Histogram({
      name: `${p}redis_call_duration_seconds`, help: 'Latency of guarded Redis calls by operation and outcome',
      labelNames: ['operation', 'outcome'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5], registers,
    });
    const redisFailures = new prom.Counter({
      name: `${p}redis_failures_total`, help: 'Redis calls that failed (error, timeout, or rejected while the circuit was open / disconnected)',
      labelNames: ['operation', 'outcome'], registers,
    });
    new prom.Gauge({
      name: `${p}circuit_state`, help: 'Circuit breaker guarding Redis: 0 closed, 1 half-open, 2 open', registers,
      collect() { this.set(CIRCUIT[cache.circuitState]); },
    });
    new prom.Gauge({
      name: `${p}redis_available`, help: '1 while Redis is connected and trusted', registers,
      collect() { this.set(cache.isRedisAvailable() ? 1 : 0); },
    });
    new prom.Gauge({
      name: `${p}trusted`, help: '1 while strict entries may be read from the cache (every member heard within the lease)', registers,
      collect() { this.set(cache.getStats().bus.trusted ? 1 : 0); },
    });
    new prom.Gauge({
      name: `${p}dark`, help: '1 while this instance holds back heartbeats after a strict write it could not confirm (until Redis is repaired)', registers,
      collect() { this.set(cache.getStats().bus.dark ? 1 : 0); },
    });
    new prom.Gauge({
      name: `${p}silent_members`, help: 'Instances sharing the key prefix not heard for a lease (while any is, strict reads go to the loader)', registers,
      collect() { this.set(cache.getStats().bus.silentMembers); },
    });
    new prom.Gauge({
      name: `${p}l1_entries`, help: 'Entries in the in-process tier', registers,
      collect() { this.set(cache.getStats().l1.entries); },
    });
    new prom.Gauge({
      name: `${p}l1_bytes`, help: 'Estimated bytes held by the in-process tier', registers,
      collect() { this.set(cache.getStats().l1.bytes); },
    });
    const created = new RedisCacheMetrics(options.maxGroups ?? 50, reads, events, redisCalls, redisFailures);
    self.metrics = created;
    created.detach = cache.instrument({
      onCount: (counter, by, group) => created.count(counter, by, group),
      onRedisCall: (operation, ms, outcome) => created.redisCall(operation, ms, outcome),
    });
    return created;
  }

  /** Stops observing (the metrics stay registered with their last values). */
  stop(): void {
    this.detach?.();
  }

  private group(group: string | undefined): string {
    if (group === undefined || group === '') return 'none';
    if (this.groups.has(group)) return group;
    if (this.groups.size >= this.maxGroups) return 'other';
    this.groups.add(group);
    return group;
  }

  private count(counter: string, by: number, group: string | undefined): void {
    const read = READS[counter];
    const event = EVENTS[counter];
    if (!read && !event) return;
    const id = `${counter}\u0000${group ?? ''}`;
    const slot = this.pending.get(id);
    if (slot) {
      slot.by += by;
      return;
    }
    const labels: Record<string, string> = read ? { ...read, group: this.group(group) } : { event, group: this.group(group) };
    this.pending.set(id, { read: read !== undefined, labels, by });
  }

  /** Hands the counts gathered since the last scrape to prom-client (called from the counters' `collect`). */
  private flush(): void {
    for (const slot of this.pending.values()) {
      if (slot.by === 0) continue;
      (slot.read ? this.reads : this.events).inc(slot.labels, slot.by);
      slot.by = 0;
    }
  }

  private redisCall(operation: string, ms: number, outcome: 'ok' | 'error' | 'timeout' | 'rejected'): void {
    if (outcome !== 'rejected') this.redisCalls.observe({ operation, outcome }, ms / 1000);
    if (outcome !== 'ok') this.redisFailures.inc({ operation, outcome });
  }
}
