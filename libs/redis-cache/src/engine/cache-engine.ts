import { Coherence } from './bus/coherence.js';
import type { BusInvalidation } from './bus/bus-message.js';
import type {
  CacheEngineOptions, CacheResult, CacheSetOptions, CacheStats, CircuitState, GetOrLoadOptions,
} from './cache.types.js';
import { CacheStatsCounter } from './cache-stats.js';
import { CountersAndHashes } from './counters-and-hashes.js';
import { EntryReader, type FoundEntry } from './entry-reader.js';
import { EntryWriter, type WriteSpec } from './entry-writer.js';
import { onL2 } from './l2-call.js';
import { buildKey, physicalKey } from './key-builder.js';
import { LoadCoordinator, toResult } from './load-coordinator.js';
import { RedisLink } from './redis-link.js';
import { SingleFlight } from './single-flight.js';
import { MemoryStore } from './tiers/memory-store.js';
import type { RedisStore } from './tiers/redis-store.js';

const TOMBSTONE_MIN_TTL_S = 60;

/**
 * A two-tier cache: L1 in process (lru-cache, bounded by entries and bytes), L2 in Redis (ioredis,
 * fail-fast), kept coherent across instances by an invalidation bus. Without a `redisUrl` the memory tier
 * alone serves, with the same semantics.
 *
 * Redis faults never surface from `get`/`set`/`delete`/`getOrLoad`: every Redis call is bounded by
 * `commandTimeoutMs`, guarded by a circuit breaker, counted, logged (no values, no credentials), and falls
 * back to L1 (and the loader for reads). Loader errors do propagate, unless a stale value within
 * `graceSeconds` can be served.
 *
 * @example
 * const cache = new CacheEngine({ redisUrl: process.env.REDIS_URL, keyPrefix: 'jobs:' });
 * await cache.connect();
 * const { value, source } = await cache.getOrLoad(cache.key('job', id), () => repo.find(id), {
 *   ttl: (job) => (job.status === 'completed' ? 300 : 30), version: (job) => job.version,
 * });
 */
export class CacheEngine {
  private readonly prefix: string;
  private readonly defaultTtl: number;
  private readonly mem: MemoryStore;
  private readonly link?: RedisLink;
  private readonly stats: CacheStatsCounter;
  private readonly flights = new SingleFlight();
  private readonly reader: EntryReader;
  private readonly writer: EntryWriter;
  private readonly loads: LoadCoordinator;
  private readonly coherence: Coherence;
  private readonly structures: CountersAndHashes;

  /**
   * @param options see {@link CacheEngineOptions}.
   * @param internals test seam: an L1 store to use (lets the contract suite plant raw entries in memory).
   */
  constructor(private readonly options: CacheEngineOptions = {}, internals: { memoryStore?: MemoryStore } = {}) {
    this.stats = new CacheStatsCounter({ instrumentation: options.instrumentation, keyPrefix: options.keyPrefix ?? 'cache:' });
    this.prefix = options.keyPrefix ?? 'cache:';
    this.defaultTtl = options.defaultTtlSeconds ?? 30;
    const graceMs = Math.max(0, options.graceSeconds ?? 0) * 1000;
    const redisEnabled = typeof options.redisUrl === 'string' && options.redisUrl.trim() !== '';
    const l1Enabled = !redisEnabled || options.l1?.enabled !== false;
    const l1TtlMs = redisEnabled && options.l1?.ttlSeconds ? options.l1.ttlSeconds * 1000 : Number.POSITIVE_INFINITY;
    const commandTimeoutMs = options.commandTimeoutMs ?? 200;
    this.mem = internals.memoryStore ?? new MemoryStore({ maxEntries: options.l1?.maxEntries, maxBytes: options.l1?.maxBytes, maxTtlMs: l1TtlMs });
    if (redisEnabled) {
      this.link = new RedisLink({
        url: options.redisUrl!.trim(),
        keyPrefix: this.prefix,
        commandTimeoutMs,
        connectTimeoutMs: options.connectTimeoutMs ?? 2000,
        failureThreshold: options.circuitBreaker?.failureThreshold ?? 5,
        cooldownMs: options.circuitBreaker?.cooldownMs ?? 2000,
        maxDirtyKeys: options.maxDirtyKeys ?? 10_000,
        stats: this.stats,
        logger: options.logger,
        tombstoneFor: (key) => this.writer.l1Tombstone(key),
        onRecovered: (repaired) => {
          // Redis is the winner again: L1 may have missed other instances' updates (see afterRecovery), and
          // the other instances are told what this one could not tell them while it was cut off.
          this.coherence.afterRecovery();
          this.coherence.announceRepaired(repaired).catch((error: unknown) => {
            options.logger?.debug?.(`cache re-announcing repaired keys failed: ${(error as Error).message}`);
          });
        },
      });
    }
    this.coherence = new Coherence({
      prefix: this.prefix, mem: this.mem, flights: this.flights, stats: this.stats, logger: options.logger,
      link: this.link, commandTimeoutMs,
    }, options);
    this.reader = new EntryReader({
      mem: l1Enabled ? this.mem : undefined,
      l2: () => (this.link?.usable() ? this.link.store : undefined),
      stats: this.stats,
      graceMs,
      l1TtlMs,
      trusted: (pk, quiet) => this.coherence.trusted(pk, quiet),
      fence: this.coherence.fence,
    });
    this.writer = new EntryWriter({
      mem: this.mem, link: this.link, l1Enabled, graceMs,
      jitter: Math.min(Math.max(options.ttlJitter ?? 0, 0), 0.5),
      maxEntryBytes: options.maxEntryBytes ?? 4 * 1024 * 1024,
      compressAboveBytes: options.compressAboveBytes ?? 16 * 1024,
      stats: this.stats, fence: this.coherence.fence, logger: options.logger,
    });
    this.structures = new CountersAndHashes(this.link, this.mem, this.stats, options.logger);
    this.loads = new LoadCoordinator({
      reader: this.reader, writer: this.writer, mem: this.mem, link: this.link, fence: this.coherence.fence,
      stats: this.stats, logger: options.logger, graceMs, defaultTtlSeconds: this.defaultTtl,
      loadTimeoutMs: options.loadTimeoutMs, failSafeRetryMs: options.failSafeRetryMs ?? 1000,
    });
  }

  /** Connects to Redis and the bus if configured. Never throws and never hangs: when Redis is down it logs and starts degraded. */
  async connect(): Promise<void> {
    await Promise.all([this.link?.connect(), this.coherence.start()]);
    // One heartbeat round trip when Redis is there; no wait at all when it is not.
    if (this.link?.available) await this.coherence.awaitLease(Math.max((this.options.commandTimeoutMs ?? 200) * 2, 100));
  }

  /** Leaves the bus and closes the Redis connections; idempotent. */
  async close(): Promise<void> {
    await this.coherence.close();
    await this.link?.close();
  }

  /** The breaker's state (`closed` without Redis). */
  get circuitState(): CircuitState {
    return this.link?.circuit ?? 'closed';
  }

  /** Whether Redis is connected and trusted right now. */
  isRedisAvailable(): boolean {
    return this.link?.available ?? false;
  }

  /** Builds a logical key `namespace:part1:…`, parts encoded (see `key-builder.ts`). */
  key(namespace: string, ...parts: Array<string | number>): string {
    return buildKey(namespace, ...parts);
  }

  private pk(key: string): string {
    return physicalKey(this.prefix, key);
  }

  /** The value under `key`, or `undefined` (absent, expired, tombstoned, tag-invalidated or corrupt). */
  get<T>(key: string): Promise<T | undefined> {
    const found = this.readValue(key);
    return found instanceof Promise ? found.then((f) => f?.env.value as T | undefined) : Promise.resolve(found?.env.value as T | undefined);
  }

  /** The value with its source, version and storedAt, or `undefined` on a miss. */
  getEntry<T>(key: string): Promise<CacheResult<T> | undefined> {
    const found = this.readValue(key);
    const result = (f: FoundEntry | undefined): CacheResult<T> | undefined => f && toResult<T>(f.env, f.source);
    return found instanceof Promise ? found.then(result) : Promise.resolve(result(found));
  }

  /**
   * For a caller that may hand the request on (an HTTP fast path): the fresh value under `key` with the JSON
   * text it is stored as, from L1 synchronously, else `undefined` — then {@link probeEntryJson}. Counts
   * nothing: the caller calls {@link recordHit} when it serves the entry, and a request it hands on is
   * counted once, by whoever answers it.
   */
  peekEntryJson<T>(key: string): CacheJsonResult<T> | undefined {
    return jsonResult<T>(this.reader.readL1(this.pk(key), false, false, true));
  }

  /** {@link peekEntryJson}, then L2 (back-filling L1). Counts nothing but errors; never rejects for Redis reasons. */
  probeEntryJson<T>(key: string): Promise<CacheJsonResult<T> | undefined> {
    const pk = this.pk(key);
    const local = this.reader.readL1(pk, false, false, true);
    if (local && local.env.kind !== 'T') return Promise.resolve(jsonResult<T>(local));
    return this.reader.readL2(pk, local, { allowStale: false, quiet: true }).then((found) => jsonResult<T>(found));
  }

  /** Counts a hit served from a {@link peekEntryJson} / {@link probeEntryJson} result. */
  recordHit(key: string, source: CacheJsonResult<unknown>['source']): void {
    this.stats.increment(source === 'l1' ? 'l1Hits' : 'l2Hits', 1, this.pk(key));
  }

  /**
   * A value entry: synchronously for a fresh L1 hit (the hot path of every read: no promise layers), else
   * a promise of the L2 read. A cached "not found" (N) counts as a hit and yields `undefined`.
   */
  private readValue(key: string): FoundEntry | undefined | Promise<FoundEntry | undefined> {
    let pk: string;
    let local: FoundEntry | undefined;
    try {
      pk = this.pk(key);
      local = this.reader.readL1(pk, false, true);
    } catch (error) {
      // The callers' promises reject rather than throw, as the `async` methods they replace did.
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (local && local.env.kind !== 'T') return this.valueOrMiss(local);
    return this.reader.readL2(pk, local, { allowStale: false }).then((found) => this.valueOrMiss(found));
  }

  private valueOrMiss(found: FoundEntry | undefined): FoundEntry | undefined {
    // Absent or tombstoned is a miss; a cached "not found" was counted as a hit by the reader.
    if (!found || found.env.kind === 'T') this.stats.increment('misses');
    return found?.env.kind === 'V' ? found : undefined;
  }

  /**
   * Writes a value to L2 and L1 and tells the other instances to drop their copies (waiting for them under
   * the strict coherence policy). With `version`, the write lands only if newer than what the key holds
   * (atomically in Redis), and resolves `false` when it was refused as older; `false` also when the value
   * exceeds `maxEntryBytes` (it is then not cached at all). Redis being down is not an error: L1 is written.
   */
  async set<T>(key: string, value: T, options?: CacheSetOptions | number): Promise<boolean> {
    const opts: CacheSetOptions = typeof options === 'number' ? { ttlSeconds: options } : options ?? {};
    this.stats.increment('sets');
    return this.update(this.pk(key), {
      kind: 'V', value, ttlSeconds: opts.ttlSeconds ?? this.defaultTtl, version: opts.version,
      tags: opts.tags ?? [], l1: opts.l1,
    });
  }

  /**
   * Deletes `key` from both tiers (and from every instance's L1). With `version`, leaves a versioned
   * tombstone instead (read as a miss, kept `max(60 s, default TTL)`), so a fill carrying that version or
   * older can no longer land.
   */
  async delete(key: string, options?: { version?: number }): Promise<void> {
    const pk = this.pk(key);
    this.stats.increment('deletes');
    this.stats.increment('invalidations');
    if (options?.version !== undefined) {
      await this.update(pk, {
        kind: 'T', value: undefined, ttlSeconds: Math.max(TOMBSTONE_MIN_TTL_S, this.defaultTtl),
        version: options.version, tags: [],
      });
      return;
    }
    this.coherence.apply({ op: 'keys', keys: [pk] });
    const deleted = await this.l2(pk, (l2) => l2.delete([pk]));
    if (deleted !== undefined) await this.coherence.announce({ op: 'keys', keys: [pk] });
  }

  /** A local write, then the announcement to the other instances if Redis took it. */
  private async update(pk: string, spec: WriteSpec): Promise<boolean> {
    // In-flight loads of this key started before the write: later callers must not join them.
    this.coherence.fence.mark(pk);
    this.flights.forget(pk);
    const outcome = await this.writer.write(pk, spec);
    if (outcome.l2 === true) await this.coherence.announce({ op: 'keys', keys: [pk] });
    return outcome.stored;
  }

  /** Whether a live entry (or a counter or hash) is stored under `key`. */
  async exists(key: string): Promise<boolean> {
    return (await this.reader.inspect(this.pk(key))) !== undefined;
  }

  /** Seconds until `key` expires; `undefined` if absent; `-1` for a counter or hash without expiry. */
  async ttl(key: string): Promise<number | undefined> {
    return this.reader.inspect(this.pk(key));
  }

  /**
   * Returns the cached value, or runs `loader` once per key in this process however many callers miss at
   * once (joined callers count as `coalesced`) — and across instances with `lock` — and stores its result
   * (a versioned write when `options.version` is given; refused if a tag was invalidated during the load).
   * Loader errors and timeouts propagate unless a stale value within `graceSeconds` exists, which is then
   * returned with source `stale` (and the loader is not retried for `failSafeRetryMs`). With
   * `refreshAheadRatio`, a value near its expiry is returned and reloaded in the background.
   * Every caller receives its own copy of the value.
   */
  async getOrLoad<T>(key: string, loader: () => Promise<T | undefined>, options: GetOrLoadOptions<T> = {}): Promise<CacheResult<T>> {
    const pk = this.pk(key);
    const fast = this.reader.readL1(pk, false);
    if (fast && fast.env.kind !== 'T') {
      this.loads.maybeRefreshAhead(pk, fast.env, loader, options);
      return toResult<T>(fast.env, 'l1');
    }
    // Without the bus lease (strict coherence, Redis or the bus down) an update acknowledged by another
    // instance cannot reach this one: join only a load that starts after this call did.
    const fresh = !this.coherence.trusted(pk, true);
    const shared = await this.flights.run(pk, () => this.loads.loadThrough(pk, loader, options), () => this.stats.increment('coalesced'), options.tags, fresh);
    return { ...shared.result, value: shared.json === undefined ? undefined : (JSON.parse(shared.json) as T) };
  }

  /** Values for `keys`, in order (`undefined` for misses): L1, then one MGET for the rest. */
  async mget<T>(keys: string[]): Promise<Array<T | undefined>> {
    const found = await this.reader.readMany(keys.map((key) => this.pk(key)));
    return found.map((entry) => {
      if (!entry || entry.env.kind === 'T') this.stats.increment('misses');
      return entry?.env.kind === 'V' ? (entry.env.value as T) : undefined;
    });
  }

  /** Writes several entries. */
  async mset<T>(entries: Array<{ key: string; value: T; ttlSeconds?: number }>): Promise<void> {
    await Promise.all(entries.map((e) => this.set(e.key, e.value, { ttlSeconds: e.ttlSeconds })));
  }

  /**
   * Atomically adds `by` and returns the new value; a TTL is set only when the counter is created.
   * While Redis is unreachable the counter lives in process memory (per instance, best effort).
   */
  async increment(key: string, by = 1, ttlSeconds?: number): Promise<number> {
    return this.structures.increment(this.pk(key), by, ttlSeconds);
  }

  /** Sets one JSON field of a hash; a TTL is set only when the hash is created. */
  async hashSet(key: string, field: string, value: unknown, ttlSeconds?: number): Promise<void> {
    await this.structures.hashSet(this.pk(key), field, value, ttlSeconds);
  }

  /** One field of a hash, or `undefined`. A field that does not parse is a miss and counted as an error. */
  async hashGet<T>(key: string, field: string): Promise<T | undefined> {
    return this.structures.hashGet<T>(this.pk(key), field);
  }

  /** All fields of a hash (empty object if absent); fields that do not parse are left out and counted. */
  async hashGetAll<T>(key: string): Promise<Record<string, T>> {
    return this.structures.hashGetAll<T>(this.pk(key));
  }

  /**
   * Deletes every entry whose logical key starts with `logicalPrefix` (SCAN MATCH with the prefix
   * glob-escaped, UNLINK in batches; never KEYS), here and in every instance's L1. Keys longer than the
   * hashing limit keep only their namespace, so they are reached by a namespace prefix (`'job:'`) but not
   * by a longer one.
   */
  async deleteByPrefix(logicalPrefix: string): Promise<number> {
    const prefix = this.prefix + logicalPrefix;
    this.stats.increment('invalidations');
    const local = this.mem.deleteByPrefixSync(prefix);
    this.coherence.apply({ op: 'prefix', prefix });
    if (!this.link) return local;
    const remote = await this.l2(undefined, (l2) => l2.deleteByPrefix(prefix));
    if (remote === undefined) this.link.dirty.addPrefix(prefix);
    else await this.coherence.announce(logicalPrefix === '' ? { op: 'clear' } : { op: 'prefix', prefix });
    return remote ?? local;
  }

  /** Makes every entry written with any of `tags` a miss, in both tiers and on every instance; fills that loaded before it are refused. */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return;
    this.stats.increment('invalidations');
    const message: BusInvalidation = { op: 'tags', tags: [...tags] };
    this.coherence.apply(message);
    if (!this.link) return;
    const done = await this.l2(undefined, (l2) => l2.bumpTags(tags).then(() => true));
    if (done === undefined) this.link.dirty.addTags(tags);
    else await this.coherence.announce(message);
  }

  /** Deletes everything under the key prefix (SCAN + UNLINK, never FLUSHDB) and empties L1 on every instance. */
  async clear(): Promise<number> {
    return this.deleteByPrefix('');
  }

  /** A snapshot of the counters and state. */
  getStats(): CacheStats {
    return this.stats.snapshot({
      redisEnabled: this.link !== undefined,
      redisAvailable: this.isRedisAvailable(),
      circuit: this.circuitState,
      l1: { entries: this.mem.size, bytes: this.mem.bytes, maxEntries: this.mem.maxEntries, maxBytes: this.mem.maxBytes },
      bus: this.coherence.busStats(),
    });
  }

  /** Sets every counter back to zero. */
  resetStats(): void {
    this.stats.reset();
  }

  private l2<R>(dirtyKey: string | undefined, fn: (store: RedisStore) => Promise<R>): Promise<R | undefined> {
    return onL2(this.link, this.options.logger, dirtyKey, fn);
  }
}

/** A fresh value with the JSON text it is stored as (see {@link CacheEngine.peekEntryJson}). */
export interface CacheJsonResult<T> extends CacheResult<T> {
  source: FoundEntry['source'];
  json: string;
}

function jsonResult<T>(found: FoundEntry | undefined): CacheJsonResult<T> | undefined {
  const env = found?.env;
  if (env?.kind !== 'V' || env.json === undefined) return undefined;
  return { value: env.value as T, source: found!.source, version: env.version, storedAt: env.storedAt, json: env.json };
}
