import { randomUUID } from 'node:crypto';
import type { InvalidationFence } from './bus/invalidation-fence.js';
import { CacheLoadTimeoutError } from './cache.errors.js';
import type { CacheStatsCounter } from './cache-stats.js';
import type { CacheLogger, CacheResult, GetOrLoadOptions } from './cache.types.js';
import type { EntryReader, FoundEntry, L2Sight } from './entry-reader.js';
import type { EntryWriter, WriteSpec } from './entry-writer.js';
import { leaseOf, leasePlaceholder, type Envelope } from './envelope.js';
import { onL2 } from './l2-call.js';
import { randomToken } from './random-token.js';
import type { RedisLink } from './redis-link.js';
import type { MemoryStore } from './tiers/memory-store.js';

/**
 * A shared load result. Read from a tier, `result.value` was decoded for the caller whose call ran the load;
 * every other caller — and every caller of a loader's value — parses its own copy from `json`.
 */
export interface LoadResult<T> {
  result: CacheResult<T>;
  json?: string;
}

/** Dependencies of {@link LoadCoordinator}. */
export interface LoadCoordinatorDeps {
  reader: EntryReader;
  writer: EntryWriter;
  mem: MemoryStore;
  link?: RedisLink;
  fence: InvalidationFence;
  stats: CacheStatsCounter;
  logger?: CacheLogger;
  graceMs: number;
  defaultTtlSeconds: number;
  loadTimeoutMs?: number;
  hardLoadTimeoutMs?: number;
  failSafeRetryMs: number;
  /** Whether Redis may be read and filled for `pk` now (eventual keys; strict ones while the cache is trusted). */
  l2Trusted: (pk: string) => boolean;
  /** Whether `pk` is under the eventual policy (fills then go to L1 alone while Redis is unusable). */
  eventual: (pk: string) => boolean;
}

/** How long a lease placeholder lives: a load slower than this is not cached. */
const LEASE_TTL_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const TIMED_OUT: unique symbol = Symbol('timed out');

/** `promise`'s value, or {@link TIMED_OUT} after `ms` (the timer is cleared either way). */
async function raceTimeout<R>(promise: Promise<R>, ms: number): Promise<R | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => { timer = setTimeout(() => resolve(TIMED_OUT), ms); });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A bound in ms, or `undefined` when absent or not positive (0 = off). */
function positive(ms: number | undefined): number | undefined {
  return ms !== undefined && ms > 0 ? ms : undefined;
}

/**
 * What happens on a miss, inside the per-key single flight: optional distributed lock, the loader under
 * its time bound, fail-safe with throttled retries, and refresh-ahead. Stores results with a fill write
 * (versioned, tag-checked, fenced against invalidations that happened during the load).
 */
export class LoadCoordinator {
  /** Keys whose last load failed, with the time until which the stale value is served without retrying. */
  private readonly retryAfter = new Map<string, number>();
  /** Loads running in the background (refresh-ahead, loads past a soft timeout): one per key. */
  private readonly background = new Set<string>();

  constructor(private readonly d: LoadCoordinatorDeps) {}

  /** Starts a background refresh if `env` is past `refreshAheadRatio` of its TTL. Never throws. */
  maybeRefreshAhead<T>(pk: string, env: Envelope, loader: () => Promise<T | undefined>, options: GetOrLoadOptions<T>): void {
    const ratio = options.refreshAheadRatio;
    if (ratio === undefined || ratio <= 0 || ratio >= 1 || env.kind !== 'V' || this.background.has(pk)) return;
    const now = Date.now();
    if (now - env.storedAt < (env.expiresAt - env.storedAt) * ratio) return;
    this.d.stats.increment('refreshes');
    this.inBackground(pk, this.runLoader(pk, loader, options, {}));
  }

  /** The miss path: L2 (or a stale value), then the loader as the options say. */
  async loadThrough<T>(pk: string, loader: () => Promise<T | undefined>, options: GetOrLoadOptions<T>): Promise<LoadResult<T>> {
    // A key that holds nothing gets the fill's lease in the read's own round trip (see `fillLease`).
    const sight: L2Sight = { offer: () => ({ placeholder: this.newLease(), ttlMs: LEASE_TTL_MS }) };
    const found = await this.d.reader.read(pk, { allowStale: this.d.graceMs > 0, skipL1Count: true, sight });
    if (found && !found.stale && found.env.kind !== 'T') {
      this.maybeRefreshAhead(pk, found.env, loader, options);
      return fromEnvelope<T>(found.env, found.source);
    }
    this.d.stats.increment('misses', 1, pk);
    // Only a value within the grace period may stand in for a failed load (never an L1 copy the coherence
    // policy does not cover: the reader does not return those).
    const stale = found?.stale && found.env.kind === 'V' && found.env.expiresAt + this.d.graceMs > Date.now() ? found : undefined;
    if (stale && (this.background.has(pk) || (this.retryAfter.get(pk) ?? 0) > Date.now())) return this.serveStale<T>(stale);
    const lock = options.lock && this.d.link ? (options.lock === true ? {} : options.lock) : undefined;
    if (lock) {
      const viaLock = await this.withLock(pk, lock, () => this.guardedLoad(pk, loader, options, sight, stale));
      if (viaLock) return viaLock as LoadResult<T>;
    }
    return this.guardedLoad(pk, loader, options, sight, stale);
  }

  private serveStale<T>(stale: FoundEntry): LoadResult<T> {
    this.d.stats.increment('staleServed');
    return fromEnvelope<T>(stale.env, 'stale');
  }

  /**
   * The loader under its bounds, with fail-safe. Soft bound: past it a stale value within grace is served
   * and the load goes on in the background (still filling the cache); with nothing stale the caller keeps
   * waiting. Hard bound: past it the call rejects with `CacheLoadTimeoutError` (the load goes on, too).
   */
  private async guardedLoad<T>(pk: string, loader: () => Promise<T | undefined>, options: GetOrLoadOptions<T>, sight: L2Sight, stale?: FoundEntry): Promise<LoadResult<T>> {
    const loading = this.runLoader(pk, loader, options, sight);
    const softMs = positive(options.loadTimeoutMs ?? this.d.loadTimeoutMs);
    const hardMs = positive(options.hardLoadTimeoutMs ?? this.d.hardLoadTimeoutMs);
    const started = Date.now();
    try {
      if (softMs !== undefined && (hardMs === undefined || softMs < hardMs)) {
        const first = await raceTimeout(loading, softMs);
        if (first !== TIMED_OUT) return this.loaded(pk, first);
        this.d.stats.increment('loadTimeouts', 1, pk);
        if (stale) {
          // Let the load finish in the background: it still fills the cache for the next caller.
          this.inBackground(pk, loading);
          return this.serveStale<T>(stale);
        }
      }
      if (hardMs === undefined) return this.loaded(pk, await loading);
      const outcome = await raceTimeout(loading, Math.max(0, hardMs - (Date.now() - started)));
      if (outcome !== TIMED_OUT) return this.loaded(pk, outcome);
      this.d.stats.increment('loadTimeouts', 1, pk);
      this.inBackground(pk, loading);
      if (stale) return this.serveStale<T>(stale);
      this.d.stats.increment('loadErrors', 1, pk);
      throw new CacheLoadTimeoutError(hardMs);
    } catch (error) {
      if (error instanceof CacheLoadTimeoutError) throw error;
      this.d.stats.increment('loadErrors', 1, pk);
      if (!stale) throw error;
      this.retryAfter.set(pk, Date.now() + (options.failSafeRetryMs ?? this.d.failSafeRetryMs));
      if (this.retryAfter.size > 10_000) this.pruneRetries();
      this.d.logger?.warn(`cache loader failed for ${pk}; serving stale entry`);
      return this.serveStale<T>(stale);
    }
  }

  private loaded<T>(pk: string, result: LoadResult<T>): LoadResult<T> {
    this.retryAfter.delete(pk);
    return result;
  }

  /**
   * Runs the loader once and stores what it returned (or a negative entry) — if it may: the lease is taken and
   * the tag generations captured *before* the loader reads, so a write, delete or invalidation that lands
   * while it loads makes Redis refuse the fill. `sight` is what the miss's L2 read saw of the key.
   */
  private async runLoader<T>(pk: string, loader: () => Promise<T | undefined>, options: GetOrLoadOptions<T>, sight: L2Sight): Promise<LoadResult<T>> {
    const tags = options.tags ?? [];
    const readStamp = this.d.fence.stamp();
    const fill = await this.fillLease(pk, sight);
    const captured = fill ? await this.captureTags(tags, fill) : undefined;
    this.d.stats.increment('loads', 1, pk);
    const value = await loader();
    const storedAt = Date.now();
    const base: Omit<WriteSpec, 'kind' | 'value' | 'ttlSeconds'> = { tags, l1: options.l1, captured, readStamp, fill: fill ?? undefined };
    const cache = fill !== undefined && (tags.length === 0 || captured !== undefined);
    if (value === undefined) {
      const negative = options.negativeTtlSeconds ?? 0;
      if (cache && negative > 0) await this.d.writer.write(pk, { ...base, kind: 'N', value: undefined, ttlSeconds: negative });
      return { result: { value: undefined, source: 'loader', storedAt } };
    }
    const ttl = typeof options.ttl === 'function' ? options.ttl(value) : options.ttl ?? this.d.defaultTtlSeconds;
    const version = options.version?.(value);
    // The JSON joined callers parse their copies from: the text the fill stored, serialised once.
    const json = cache ? (await this.d.writer.write(pk, { ...base, kind: 'V', value, ttlSeconds: ttl, version })).json : undefined;
    return { result: { value, source: 'loader', version, storedAt }, json: json ?? JSON.stringify(value) };
  }

  /**
   * The lease a fill of `pk` loads under, or `undefined` when its result may not be cached at all: a strict
   * key while the cache is not trusted (a member is silent: fills are not cached), or Redis refusing the
   * lease. Memory-only: an empty lease. Redis unusable: L1 only, for an eventual key.
   */
  private async fillLease(pk: string, sight: L2Sight): Promise<WriteSpec['fill'] | undefined> {
    const link = this.d.link;
    if (!link) return {};
    if (!this.d.l2Trusted(pk)) return undefined;
    if (!link.usable()) return this.d.eventual(pk) ? { memoryOnly: true } : undefined;
    if (sight.placed !== undefined) return { lease: sight.placed };
    const seen = sight.seen ?? (await onL2(link, this.d.logger, undefined, async (store) => {
      const raw = await store.get(pk);
      return raw === undefined ? 'absent' as const : { lease: leaseOf(raw) };
    }));
    if (seen === undefined) return undefined;
    if (seen !== 'absent') return { lease: seen.lease };
    const placeholder = this.newLease();
    const placed = await onL2(link, this.d.logger, undefined, (store) => store.placeLease(pk, placeholder, LEASE_TTL_MS));
    return placed ? { lease: placeholder } : undefined;
  }

  private newLease(): string {
    return leasePlaceholder(this.d.link?.epoch ?? '', randomToken(), Date.now(), LEASE_TTL_MS);
  }

  /** The generations a fill's tags have before it loads (created in Redis where missing). */
  private async captureTags(tags: readonly string[], fill: NonNullable<WriteSpec['fill']>): Promise<WriteSpec['captured']> {
    if (tags.length === 0) return undefined;
    const l1 = this.d.mem.tagGenerationsSync(tags);
    if (!this.d.link || fill.memoryOnly) return { l1 };
    const l2 = await onL2(this.d.link, this.d.logger, undefined, (store) => store.captureTags(tags));
    return l2 === undefined ? undefined : { l1, l2 };
  }

  /**
   * Cross-instance single flight. The owner loads and releases (compare-and-delete); the others poll L2
   * until `waitMs`, then load themselves. Redis unreachable: no lock, load directly (`undefined`).
   */
  private async withLock<R>(pk: string, lock: { ttlMs?: number; waitMs?: number }, load: () => Promise<R>): Promise<R | LoadResult<unknown> | undefined> {
    const lockKey = `${pk}!lock`;
    const token = randomUUID();
    const ttlMs = lock.ttlMs ?? 5000;
    const acquired = await onL2(this.d.link, this.d.logger, undefined, (store) => store.acquireLock(lockKey, token, ttlMs));
    if (acquired === undefined) return undefined;
    if (acquired) {
      this.d.stats.increment('lockAcquired');
      try {
        return await load();
      } finally {
        await onL2(this.d.link, this.d.logger, undefined, (store) => store.releaseLock(lockKey, token));
      }
    }
    this.d.stats.increment('lockWaits');
    const waitMs = lock.waitMs ?? 2000;
    const deadline = Date.now() + waitMs;
    const step = Math.max(5, Math.min(50, Math.floor(waitMs / 20)));
    while (Date.now() < deadline) {
      await sleep(step);
      const found = await this.d.reader.read(pk, { allowStale: false, skipL1Count: true });
      if (found && found.env.kind !== 'T') return fromEnvelope(found.env, found.source);
    }
    this.d.stats.increment('lockTimeouts');
    return undefined;
  }

  private inBackground(pk: string, loading: Promise<unknown>): void {
    this.background.add(pk);
    loading
      .catch((error: unknown) => {
        this.d.stats.increment('loadErrors', 1, pk);
        this.d.logger?.warn(`cache background load failed for ${pk} (${(error as Error)?.name ?? 'error'})`);
      })
      .finally(() => this.background.delete(pk));
  }

  private pruneRetries(): void {
    const now = Date.now();
    for (const [key, until] of this.retryAfter) if (until <= now) this.retryAfter.delete(key);
  }
}

/** A result from an envelope. */
export function toResult<T>(env: Envelope, source: FoundEntry['source'] | 'stale'): CacheResult<T> {
  return { value: env.kind === 'V' ? (env.value as T) : undefined, source, version: env.version, storedAt: env.storedAt };
}

/** A found entry as a load result, sharing the JSON text it was decoded from (no re-serialisation). */
function fromEnvelope<T>(env: Envelope, source: FoundEntry['source'] | 'stale'): LoadResult<T> {
  return { result: toResult<T>(env, source), json: env.json };
}
