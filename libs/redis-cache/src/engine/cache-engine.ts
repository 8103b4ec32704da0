import { type AnnouncedAhead, Coherence } from './bus/coherence.js';
import type { BusInvalidation } from './bus/bus-message.js';
import type {
  CacheEngineOptions, CacheResult, CacheSetOptions, CacheStats, CircuitState, EntryChange, EntryWatchOptions, GetOrLoadOptions,
  WatchedEntry,
} from './cache.types.js';
import { loadMany, type ManyLoader } from './batch-loader.js';
import { CacheStatsCounter } from './cache-stats.js';
import { CountersAndHashes } from './counters-and-hashes.js';
import { EntryReader, type FoundEntry } from './entry-reader.js';
import { EntryWatch } from './entry-watch.js';
import { carriesTags } from './envelope.js';
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
        rejoin: () => this.coherence.rejoin(),
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
      l2For: (pk) => (this.link?.usable() && this.coherence.l2Trusted(pk) ? this.link.store : undefined),
      epoch: () => this.link?.epoch ?? '',
      stats: this.stats,
      graceMs,
      l1TtlMs,
      trusted: (pk, quiet) => this.coherence.trusted(pk, quiet),
      fence: this.coherence.fence,
      logger: options.logger,
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
      loadTimeoutMs: options.loadTimeoutMs, hardLoadTimeoutMs: options.hardLoadTimeoutMs, failSafeRetryMs: options.failSafeRetryMs ?? 1000,
      l2Trusted: (pk) => this.coherence.l2Trusted(pk),
      eventual: (pk) => this.coherence.modeOf(pk) === 'eventual',
    });
  }

  /** Connects to Redis and the bus if configured. Never throws and never hangs: when Redis is down it logs and starts degraded. */
  async connect(): Promise<void> {
    await Promise.all([this.link?.connect(), this.coherence.start()]);
    // A few round trips when Redis is there (subscribe, one heartbeat back through it); none when it is not.
    if (this.link?.available) await this.coherence.awaitLease(this.options.connectTimeoutMs ?? 2000);
  }

  /**
   * Stops taking strict writes (`admitWrite` refuses), waits for the writes being made safe, leaves the group
   * (cleanly, unless a repair is owed: then the peers expire this instance after its write window) and closes
   * the Redis connections; idempotent. A strict write that arrives after that and cannot be confirmed rejects
   * with `CacheWriteRefusedError` instead of being acknowledged.
   */
  async close(): Promise<void> {
    // Writes being settled get up to 2 leases (a dark wait is at most about one) before the group is left.
    const drainMs = 2 * (this.options.bus?.leaseMs ?? 1500);
    await this.coherence.close(() => this.link?.dirty.pending ?? false, drainMs);
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
    return this.readValue(key, valueOf) as Promise<T | undefined>;
  }

  /** The value with its source, version and storedAt, or `undefined` on a miss. */
  getEntry<T>(key: string): Promise<CacheResult<T> | undefined> {
    return this.readValue(key, (f) => f && toResult<T>(f.env, f.source));
  }

  /**
   * For a caller that may hand the request on (an HTTP fast path): the fresh value under `key` with the JSON
   * text it is stored as, from L1 synchronously, else `undefined`. The value is L1's own, deep-frozen: read it,
   * never hand it out (send `json`). Counts nothing: the caller calls
   * {@link recordHit} when it serves the entry, and a request it hands on is counted once, by whoever answers it.
   */
  peekEntryJson<T>(key: string): CacheJsonResult<T> | undefined {
    return jsonResult<T>(this.reader.peekL1(this.pk(key)));
  }

  /** Counts a hit served from a {@link peekEntryJson} result. */
  recordHit(key: string, source: CacheJsonResult<unknown>['source']): void {
    this.stats.increment(source === 'l1' ? 'l1Hits' : 'l2Hits', 1, this.pk(key));
  }

  /**
   * `project` of a value entry: resolved at once for a fresh L1 hit (the hot path of every read: no promise
   * layers), else one step after the L2 read. A cached "not found" (N) counts as a hit and yields `undefined`.
   */
  private readValue<R>(key: string, project: (found: FoundEntry | undefined) => R): Promise<R> {
    let pk: string;
    let local: FoundEntry | undefined;
    try {
      pk = this.pk(key);
      local = this.reader.readL1(pk, false, true);
    } catch (error) {
      // The callers' promises reject rather than throw, as the `async` methods they replace did.
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (local && local.env.kind !== 'T') return Promise.resolve(project(this.valueOrMiss(local)));
    return this.reader.readL2(pk, local, { allowStale: false }).then((found) => project(this.valueOrMiss(found)));
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
    const message: BusInvalidation = { op: 'keys', keys: [pk] };
    this.coherence.apply(message);
    // Announced as soon as the UNLINK is on its way (as a plain set is, see `update`).
    let announced: AnnouncedAhead | undefined;
    const deleted = await this.l2(pk, (l2) => {
      const sent = l2.delete([pk]);
      if (l2.publishesAfter('delete')) announced = this.coherence.announceAhead(message);
      return sent;
    });
    await this.coherence.settle(message, deleted !== undefined, announced);
  }

  /**
   * Checks, inside a transaction right before it commits, that a strict write to `key` can be made safe for
   * every instance; throws {@link CacheWriteRefusedError} when it cannot (this instance has been cut off from
   * Redis for longer than its write window). Nothing has changed yet at that point: roll back and answer
   * `503` with `Retry-After`. Eventual keys and a memory-only cache never refuse.
   */
  admitWrite(key: string): void {
    this.coherence.admitWrite(this.pk(key));
  }

  /**
   * A local write, then made safe for every instance before it resolves (see `Coherence.settle`): announced,
   * and — should Redis not have taken it — held until no peer trusts its cache any more.
   */
  private async update(pk: string, spec: WriteSpec): Promise<boolean> {
    this.beforeWrite(pk);
    const message: BusInvalidation = { op: 'keys', keys: [pk] };
    // A plain SET is announced as soon as it is on its way: Redis runs it before the announcement's PUBLISH.
    let announced: AnnouncedAhead | undefined;
    const outcome = await this.writer.write(pk, spec, () => { announced = this.coherence.announceAhead(message); });
    await this.coherence.settle(message, outcome.l2 !== undefined, announced);
    return outcome.stored;
  }

  /** In-flight loads of `pk` started before a write to it: later callers must not join them (and the fence notes the write). */
  private beforeWrite(pk: string): void {
    this.coherence.fence.mark(pk);
    this.flights.forget(pk);
  }

  /**
   * The change feed of the entry under `key`: calls `onChange` with its state now, then with each newer
   * version as it is acknowledged — by this instance or any other — in order and once; `delete` when it is
   * gone. `read` is how the entry is read (the way a request reads it: through this cache, with the same
   * checks), so the feed never reports an older version than a read would. Reads follow the bus's change
   * hints, and run every `fallbackMs` while hints may be missing (see `entry-watch.ts`). A failing `read`
   * ends the watch with `onError`. Returns the function that stops it.
   */
  watch<T>(
    key: string,
    read: () => Promise<WatchedEntry<T> | undefined>,
    onChange: (change: EntryChange<T>) => void,
    onError: (error: unknown) => void,
    options?: EntryWatchOptions,
  ): () => void {
    const pk = this.pk(key);
    const watch = new EntryWatch<T>({
      pk, key, hints: this.coherence.hints, hintsComplete: () => this.coherence.hintsComplete(),
      // An L1 entry is what a read serves while hints are complete; without tags, no tag invalidation reaches it.
      untagged: () => {
        const raw = this.mem.getSync(pk);
        return raw !== undefined && carriesTags(raw) === false;
      },
      read, onChange, onError,
    }, options);
    return () => watch.stop();
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
   * Every caller receives its own copy of the value, as a hit would give it (parsed from the stored JSON).
   */
  getOrLoad<T>(key: string, loader: () => Promise<T | undefined>, options: GetOrLoadOptions<T> = {}): Promise<CacheResult<T>> {
    return this.loadOne(key, loader, options);
  }

  /**
   * {@link getOrLoad} for several keys with one `loader` call for all of them that miss: `loader(missing)`
   * answers the values of the keys it is given, in their order (`undefined` = not found). Each key keeps
   * `getOrLoad`'s semantics with the same `options` — L1, L2, versions, tags, negative caching, single flight
   * with concurrent `getOrLoad` callers of that key (a key already being loaded is joined, not asked for
   * again), strict coherence — see `batch-loader.ts`. Results in the order of `keys`.
   *
   * @example
   * const results = await cache.getOrLoadMany(ids.map((id) => cache.key('job', id)), (keys) => repo.findByKeys(keys), { ttl: 30 });
   */
  getOrLoadMany<T>(keys: readonly string[], loader: ManyLoader<T>, options: GetOrLoadOptions<T> = {}): Promise<Array<CacheResult<T>>> {
    return loadMany(keys, loader, (key, one, onJoined) => this.loadOne(key, one, options, onJoined));
  }

  private async loadOne<T>(key: string, loader: () => Promise<T | undefined>, options: GetOrLoadOptions<T>, onJoined?: () => void): Promise<CacheResult<T>> {
    const pk = this.pk(key);
    const fast = this.reader.readL1(pk, false);
    if (fast && fast.env.kind !== 'T') {
      this.loads.maybeRefreshAhead(pk, fast.env, loader, options);
      return toResult<T>(fast.env, 'l1');
    }
    // Without the bus lease (strict coherence, Redis or the bus down) an update acknowledged by another
    // instance cannot reach this one: join only a load that starts after this call did.
    const fresh = !this.coherence.trusted(pk, true);
    let joined = false;
    const shared = await this.flights.run(pk, () => this.loads.loadThrough(pk, loader, options), () => {
      joined = true;
      this.stats.increment('coalesced');
      onJoined?.();
    }, options.tags, fresh);
    // The owner of a load that read a tier has the value decoded for it alone (a copy of the result object:
    // the callers that joined read theirs from it after this caller resumes). A loader's value is never
    // handed out as is: every caller gets it parsed from the JSON the cache stored, so a miss answers the
    // same types as a hit (dates as strings, no class instances); the JSON is the fill's, serialised once.
    if (!joined && shared.result.source !== 'loader') return { ...shared.result };
    // A caller that joined another's load is counted once too, by where its answer came from.
    if (joined) this.countJoined(pk, shared.result.source);
    return { ...shared.result, value: shared.json === undefined ? undefined : (JSON.parse(shared.json) as T) };
  }

  private countJoined(pk: string, source: CacheResult<unknown>['source']): void {
    if (source === 'loader') this.stats.increment('misses', 1, pk);
    else if (source === 'stale') this.stats.increment('staleServed', 1, pk);
    else this.stats.increment(source === 'l1' ? 'l1Hits' : 'l2Hits', 1, pk);
  }

  /** Values for `keys`, in order (`undefined` for misses): L1, then one MGET for the rest. */
  async mget<T>(keys: string[]): Promise<Array<T | undefined>> {
    const found = await this.reader.readMany(keys.map((key) => this.pk(key)));
    return found.map((entry) => {
      if (!entry || entry.env.kind === 'T') this.stats.increment('misses');
      return entry?.env.kind === 'V' ? (entry.env.value as T) : undefined;
    });
  }

  /**
   * Writes several entries (each as {@link set} would; on one Redis server in one command), then makes them safe for every instance
   * with one announcement (one ack wait under strict coherence) for all the keys.
   */
  async mset<T>(entries: Array<{ key: string; value: T; ttlSeconds?: number }>): Promise<void> {
    if (entries.length === 0) return;
    this.stats.increment('sets', entries.length);
    const pks = entries.map((e) => this.pk(e.key));
    for (const pk of pks) this.beforeWrite(pk);
    const outcomes = await this.writer.writePlainMany(entries.map((e, i) => ({ pk: pks[i], value: e.value, ttlSeconds: e.ttlSeconds ?? this.defaultTtl })));
    // Unless Redis answered every write, the whole message is settled as unconfirmed (every key dirty).
    await this.coherence.settle({ op: 'keys', keys: pks }, outcomes.every((o) => o.l2 !== undefined));
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
    const message: BusInvalidation = logicalPrefix === '' ? { op: 'clear' } : { op: 'prefix', prefix };
    if (!this.link) {
      await this.coherence.settle(message, true);
      return local;
    }
    const remote = await this.l2(undefined, (l2) => l2.deleteByPrefix(prefix));
    await this.coherence.settle(message, remote !== undefined);
    return remote ?? local;
  }

  /** Makes every entry written with any of `tags` a miss, in both tiers and on every instance; fills that loaded before it are refused. */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return;
    this.stats.increment('invalidations');
    const message: BusInvalidation = { op: 'tags', tags: [...tags] };
    this.coherence.apply(message);
    if (!this.link) {
      await this.coherence.settle(message, true);
      return;
    }
    const done = await this.l2(undefined, (l2) => l2.bumpTags(tags).then(() => true));
    await this.coherence.settle(message, done !== undefined);
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

  /** Invalidations on L2; like writes, they wait for a recovery in progress (see `RedisLink.usableSoon`). */
  private l2<R>(dirtyKey: string | undefined, fn: (store: RedisStore) => Promise<R>): Promise<R | undefined> {
    return onL2(this.link, this.options.logger, dirtyKey, fn, true);
  }
}

const valueOf = (found: FoundEntry | undefined): unknown => found?.env.value;

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
