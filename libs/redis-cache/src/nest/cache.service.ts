import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { ManyLoader } from '../engine/batch-loader.js';
import { CacheEngine } from '../engine/cache-engine.js';
import type {
  CacheInstrumentation, CacheResult, CacheSetOptions, CacheStats, CircuitState, EntryChange, EntryWatchOptions, GetOrLoadOptions,
  WatchedEntry,
} from '../engine/cache.types.js';
import type { MigratingCache } from '../migration/migrating-cache.js';
import { NamespaceMigrations } from '../migration/namespace-migrations.js';
import { registerEngine } from './engine-of.js';
import { InstrumentationHub } from './instrumentation-hub.js';
import { MODULE_OPTIONS_TOKEN } from './redis-cache.module-definition.js';
import type { RedisCacheModuleOptions } from './redis-cache-module-options.interface.js';

/**
 * The cache as a Nest provider, injected by class: `constructor(private readonly cache: CacheService)`.
 * A facade over one {@link CacheEngine} (the two tiers, the bus, the breaker): it connects on module init —
 * never failing the boot when Redis is down — and closes on shutdown. Keys are logical (`cache.key('job', id)`);
 * the configured `keyPrefix` is added by the engine. The keys of a namespace configured in `migrations` are
 * read and written through that namespace's `MigratingCache`.
 *
 * @example
 * const { value } = await this.cache.getOrLoad(this.cache.key('job', id), () => this.repo.find(id), { ttl: 30 });
 */
@Injectable()
export class CacheService implements OnModuleInit, OnApplicationShutdown {
  private readonly engine: CacheEngine;
  private readonly hub = new InstrumentationHub();
  private readonly migrations: NamespaceMigrations;

  constructor(@Inject(MODULE_OPTIONS_TOKEN) options: RedisCacheModuleOptions) {
    if (options.instrumentation) this.hub.attach(options.instrumentation);
    this.engine = new CacheEngine({ ...options, instrumentation: this.hub });
    this.migrations = new NamespaceMigrations(this.engine, options.migrations, { logger: options.logger });
    registerEngine(this, this.engine);
  }

  /** The `MigratingCache` of a namespace configured in `migrations` (for its stats and metrics), else `undefined`. */
  migration<T>(namespace: string): MigratingCache<T> | undefined {
    return this.migrations.get<T>(namespace);
  }

  /** Builds the logical key `namespace:part1:…`; parts are encoded, so request input can never widen it. */
  key(namespace: string, ...parts: Array<string | number>): string {
    return this.engine.key(namespace, ...parts);
  }

  /** The value under `key`, or `undefined` (absent, expired, deleted, tag-invalidated or unreadable). */
  get<T>(key: string): Promise<T | undefined> {
    const routed = this.migrations.route<T>(key);
    return routed ? routed.migration.get(routed.id) : this.engine.get<T>(key);
  }

  /** The value with its source (`l1`, `l2`), version and storedAt, or `undefined` on a miss. */
  getEntry<T>(key: string): Promise<CacheResult<T> | undefined> {
    const routed = this.migrations.route<T>(key);
    return routed ? routed.migration.getEntry(routed.id) : this.engine.getEntry<T>(key);
  }

  /**
   * Cache-aside read: the cached value, or `loader`'s (once per key however many callers miss at once),
   * stored with `options` (TTL, version, tags, negative caching, soft and hard load bounds).
   */
  getOrLoad<T>(key: string, loader: () => Promise<T | undefined>, options?: GetOrLoadOptions<T>): Promise<CacheResult<T>> {
    const routed = this.migrations.route<T>(key);
    return routed ? routed.migration.getOrLoad(routed.id, loader, options) : this.engine.getOrLoad(key, loader, options);
  }

  /**
   * {@link getOrLoad} for several keys, with one `loader(missing)` call for every key that misses (values in
   * the order of the keys it is given; `undefined` = not found). Each key keeps `getOrLoad`'s semantics. Keys
   * of a namespace being migrated are read through their migration one by one (`loader` called per key).
   */
  getOrLoadMany<T>(keys: readonly string[], loader: ManyLoader<T>, options?: GetOrLoadOptions<T>): Promise<Array<CacheResult<T>>> {
    if (!keys.some((key) => this.migrations.route<T>(key))) return this.engine.getOrLoadMany(keys, loader, options);
    return Promise.all(keys.map((key) => this.getOrLoad(key, async () => (await loader([key]))[0], options)));
  }

  /**
   * Writes `value` to both tiers and tells the other instances, resolving once the write is safe for every
   * instance. With `version`, set-if-newer: resolves `false` when a newer version (or tombstone) is held.
   */
  set<T>(key: string, value: T, options?: CacheSetOptions | number): Promise<boolean> {
    const routed = this.migrations.route<T>(key);
    if (!routed) return this.engine.set(key, value, options);
    return routed.migration.set(routed.id, value, typeof options === 'number' ? { ttlSeconds: options } : options);
  }

  /** Deletes `key` everywhere; with `version`, leaves a tombstone that refuses fills of that version or older. */
  delete(key: string, options?: { version?: number }): Promise<void> {
    const routed = this.migrations.route(key);
    return routed ? routed.migration.delete(routed.id, options) : this.engine.delete(key, options);
  }

  /**
   * Call inside a transaction right before COMMIT: throws `CacheWriteRefusedError` (answer `503` with its
   * `retryAfterSeconds`) when a write to `key` cannot be made safe for every instance right now.
   */
  admitWrite(key: string): void {
    this.engine.admitWrite(key);
  }

  /**
   * The change feed of one entry, pushed from whichever instance took the write: its state on subscribe, then
   * each newer version once it is acknowledged, in order and once (`{ op: 'set', key, version, value }`), and
   * `{ op: 'delete', key }` when `read` finds nothing. `read` reads the entry the way a request does (e.g.
   * `() => repo.findOneById(id)` with the caller's checks), so the feed never shows an older version than a
   * poll would. While the bus cannot announce every change (Redis or the bus down, a silent peer) the entry is
   * read every `fallbackMs` instead. A rejected `read` errors the Observable; unsubscribing stops it.
   *
   * @example
   * @Sse(':id/events') events(@Param('id') id: string) {
   *   return this.cache.watch(this.cache.key('job', id), () => this.jobs.findOneById(id)).pipe(map((c) => ({ id: String(c.version), data: c })));
   * }
   */
  watch<T>(key: string, read: () => Promise<WatchedEntry<T> | undefined>, options?: EntryWatchOptions): Observable<EntryChange<T>> {
    return new Observable<EntryChange<T>>((subscriber) =>
      this.engine.watch<T>(key, read, (change) => subscriber.next(change), (error) => subscriber.error(error), options));
  }

  /** Values of `keys`, in order (`undefined` for a miss): L1 first, then one round trip for the rest. */
  mget<T>(keys: string[]): Promise<Array<T | undefined>> {
    return this.engine.mget<T>(keys);
  }

  /** Writes several entries. */
  mset<T>(entries: Array<{ key: string; value: T; ttlSeconds?: number }>): Promise<void> {
    return this.engine.mset(entries);
  }

  /** Whether a live entry (or counter, or hash) is stored under `key`. */
  exists(key: string): Promise<boolean> {
    return this.engine.exists(key);
  }

  /** Seconds until `key` expires; `undefined` if absent; `-1` for a counter or hash without expiry. */
  ttl(key: string): Promise<number | undefined> {
    return this.engine.ttl(key);
  }

  /** Adds `by` to a counter and returns its new value (in process memory while Redis is unreachable). */
  increment(key: string, by?: number, ttlSeconds?: number): Promise<number> {
    return this.engine.increment(key, by, ttlSeconds);
  }

  /** Sets one JSON field of a hash; a TTL is set only when the hash is created. */
  hashSet(key: string, field: string, value: unknown, ttlSeconds?: number): Promise<void> {
    return this.engine.hashSet(key, field, value, ttlSeconds);
  }

  /** One field of a hash, or `undefined`. */
  hashGet<T>(key: string, field: string): Promise<T | undefined> {
    return this.engine.hashGet<T>(key, field);
  }

  /** Every field of a hash (empty when absent). */
  hashGetAll<T>(key: string): Promise<Record<string, T>> {
    return this.engine.hashGetAll<T>(key);
  }

  /** Deletes every entry whose logical key starts with `logicalPrefix` (SCAN + UNLINK, never KEYS). */
  deleteByPrefix(logicalPrefix: string): Promise<number> {
    return this.engine.deleteByPrefix(logicalPrefix);
  }

  /** Makes every entry written with one of `tags` a miss, on every instance; fills that raced it are refused. */
  invalidateTags(tags: readonly string[]): Promise<void> {
    return this.engine.invalidateTags(tags);
  }

  /** Deletes everything under this cache's key prefix (never `FLUSHDB`); resolves how many keys went. */
  clear(): Promise<number> {
    return this.engine.clear();
  }

  /** A snapshot of the counters and state (hits, misses, loads, circuit, bus, L1 size…). */
  getStats(): CacheStats {
    return this.engine.getStats();
  }

  /** Sets every counter back to zero. */
  resetStats(): void {
    this.engine.resetStats();
  }

  /** The Redis circuit breaker's state (`closed` without Redis). */
  get circuitState(): CircuitState {
    return this.engine.circuitState;
  }

  /** Whether Redis is connected and trusted right now. */
  isRedisAvailable(): boolean {
    return this.engine.isRedisAvailable();
  }

  /** Attaches a metrics observer after construction (e.g. `RedisCacheMetrics`); returns a detach function. */
  instrument(observer: CacheInstrumentation): () => void {
    return this.hub.attach(observer);
  }

  /** Connects to Redis (bounded by the connect timeout; starts degraded if Redis is unreachable). */
  async onModuleInit(): Promise<void> {
    await this.engine.connect();
  }

  /**
   * Leaves the group and closes the Redis connections — on application shutdown, which Nest runs after the
   * HTTP server has stopped and its requests have finished, never in `onModuleDestroy`, which runs before:
   * a write still being answered would find the cache gone and could not be made safe for the others.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.engine.close();
  }
}
