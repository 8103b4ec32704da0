import { randomUUID } from 'node:crypto';
import type { InvalidationFence } from './bus/invalidation-fence.js';
import { CacheLoadTimeoutError } from './cache.errors.js';
import type { CacheStatsCounter } from './cache-stats.js';
import type { CacheLogger, CacheResult, GetOrLoadOptions } from './cache.types.js';
import type { EntryReader, FoundEntry } from './entry-reader.js';
import type { EntryWriter, WriteSpec } from './entry-writer.js';
import type { Envelope } from './envelope.js';
import { onL2 } from './l2-call.js';
import type { RedisLink } from './redis-link.js';
import type { MemoryStore } from './tiers/memory-store.js';

/** A shared load result: the value travels as JSON so that every caller parses its own copy. */
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
  failSafeRetryMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    this.inBackground(pk, this.runLoader(pk, loader, options));
  }

  /** The miss path: L2 (or a stale value), then the loader as the options say. */
  async loadThrough<T>(pk: string, loader: () => Promise<T | undefined>, options: GetOrLoadOptions<T>): Promise<LoadResult<T>> {
    const found = await this.d.reader.read(pk, { allowStale: this.d.graceMs > 0, skipL1Count: true });
    if (found && !found.stale && found.env.kind !== 'T') {
      this.maybeRefreshAhead(pk, found.env, loader, options);
      return fromEnvelope<T>(found.env, found.source);
    }
    this.d.stats.increment('misses', 1, pk);
    // Only a value within the grace period may stand in for a failed load (an untrusted L1 copy, too).
    const stale = found?.stale && found.env.kind === 'V' && found.env.expiresAt + this.d.graceMs > Date.now() ? found : undefined;
    if (stale && (this.background.has(pk) || (this.retryAfter.get(pk) ?? 0) > Date.now())) return this.serveStale<T>(stale);
    const lock = options.lock && this.d.link ? (options.lock === true ? {} : options.lock) : undefined;
    if (lock) {
      const viaLock = await this.withLock(pk, lock, () => this.guardedLoad(pk, loader, options, stale));
      if (viaLock) return viaLock as LoadResult<T>;
    }
    return this.guardedLoad(pk, loader, options, stale);
  }

  private serveStale<T>(stale: FoundEntry): LoadResult<T> {
    this.d.stats.increment('staleServed');
    return fromEnvelope<T>(stale.env, 'stale');
  }

  /** The loader under its time bound, with fail-safe. */
  private async guardedLoad<T>(pk: string, loader: () => Promise<T | undefined>, options: GetOrLoadOptions<T>, stale?: FoundEntry): Promise<LoadResult<T>> {
    const loading = this.runLoader(pk, loader, options);
    const timeoutMs = options.loadTimeoutMs ?? this.d.loadTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = timeoutMs && timeoutMs > 0
      ? new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); })
      : undefined;
    try {
      const outcome = await (timeout ? Promise.race([loading, timeout]) : loading);
      if (outcome !== 'timeout') {
        this.retryAfter.delete(pk);
        return outcome;
      }
      this.d.stats.increment('loadTimeouts', 1, pk);
      // Let the load finish in the background: it still fills the cache for the next caller.
      this.inBackground(pk, loading);
      if (stale) return this.serveStale<T>(stale);
      this.d.stats.increment('loadErrors', 1, pk);
      throw new CacheLoadTimeoutError(timeoutMs!);
    } catch (error) {
      if (error instanceof CacheLoadTimeoutError) throw error;
      this.d.stats.increment('loadErrors', 1, pk);
      if (!stale) throw error;
      this.retryAfter.set(pk, Date.now() + (options.failSafeRetryMs ?? this.d.failSafeRetryMs));
      if (this.retryAfter.size > 10_000) this.pruneRetries();
      this.d.logger?.warn(`cache loader failed for ${pk}; serving stale entry`);
      return this.serveStale<T>(stale);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs the loader once and stores what it returned (or a negative entry). */
  private async runLoader<T>(pk: string, loader: () => Promise<T | undefined>, options: GetOrLoadOptions<T>): Promise<LoadResult<T>> {
    const tags = options.tags ?? [];
    const readStamp = this.d.fence.stamp();
    const captured = await this.captureTags(tags);
    this.d.stats.increment('loads', 1, pk);
    const value = await loader();
    const storedAt = Date.now();
    const base: Omit<WriteSpec, 'kind' | 'value' | 'ttlSeconds'> = { tags, l1: options.l1, captured, readStamp, fill: true };
    if (value === undefined) {
      const negative = options.negativeTtlSeconds ?? 0;
      if (negative > 0) await this.d.writer.write(pk, { ...base, kind: 'N', value: undefined, ttlSeconds: negative });
      return { result: { value: undefined, source: 'loader', storedAt } };
    }
    const ttl = typeof options.ttl === 'function' ? options.ttl(value) : options.ttl ?? this.d.defaultTtlSeconds;
    const version = options.version?.(value);
    await this.d.writer.write(pk, { ...base, kind: 'V', value, ttlSeconds: ttl, version });
    return { result: { value, source: 'loader', version, storedAt }, json: JSON.stringify(value) };
  }

  private async captureTags(tags: readonly string[]): Promise<WriteSpec['captured']> {
    if (tags.length === 0) return undefined;
    const l1 = this.d.mem.tagGenerationsSync(tags);
    const l2 = await onL2(this.d.link, this.d.logger, undefined, (store) => store.tagGenerations(tags));
    return { l1, l2 };
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
