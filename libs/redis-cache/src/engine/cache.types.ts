/**
 * The engine's public contract. The Nest layer (`../nest`) and every consumer code against these types;
 * the engine (`./cache.ts`) implements them. Keys passed to the engine are *logical* keys built by
 * {@link KeyBuilder} (`cache.key('job', id)`); the engine adds the configured prefix.
 */

/** Where a value came from. `stale` = served past its TTL inside the grace period because loading failed. */
export type CacheSource = 'l1' | 'l2' | 'loader' | 'stale';

/** State of the circuit breaker guarding the Redis tier. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** A TTL in seconds, fixed or computed from the value (e.g. a finished job lives longer than a running one). */
export type TtlPolicy<T> = number | ((value: T) => number);

/** Minimal logger the engine writes to; Nest's `Logger` satisfies it. Never given values or credentials. */
export interface CacheLogger {
  debug?(message: string): void;
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Options for one write. */
export interface CacheSetOptions {
  /** Seconds until the entry expires (logical expiry). Defaults to the engine's `defaultTtlSeconds`. */
  ttlSeconds?: number;
  /**
   * Monotonic version of the value (e.g. a row's `version` column). A versioned write lands only if it is
   * newer than the version the key holds (atomically in Redis, mirrored in L1), so a slow fill that read the
   * database before an update can never overwrite the update's pre-warmed value.
   */
  version?: number;
  /** Tags to attach; `invalidateTags([tag])` makes every entry written with `tag` a miss. */
  tags?: readonly string[];
  /** `false` skips the in-process tier for this entry; a number gives L1 its own, shorter TTL in seconds. */
  l1?: boolean | { ttlSeconds: number };
}

/** Options for {@link CacheEngine.getOrLoad}. */
export interface GetOrLoadOptions<T> extends Omit<CacheSetOptions, 'ttlSeconds' | 'version'> {
  /** TTL for the loaded value. */
  ttl?: TtlPolicy<T>;
  /** Extracts the version of a loaded value, making the fill a versioned write. */
  version?: (value: T) => number | undefined;
  /** When the loader returns `undefined`, cache that "not found" for this many seconds (0 = don't). */
  negativeTtlSeconds?: number;
  /**
   * Soft time bound of the loader in ms. Past it, a stale value within the grace period is served (the load
   * goes on in the background and still fills the cache); with nothing stale to serve the caller keeps
   * waiting for the load, up to `hardLoadTimeoutMs`. Default: the engine's `loadTimeoutMs` (none).
   */
  loadTimeoutMs?: number;
  /**
   * Hard time bound of the loader in ms: past it the call rejects with `CacheLoadTimeoutError` (the load goes
   * on in the background and still fills the cache). Default: the engine's `hardLoadTimeoutMs` (none: the
   * loader's own bounds, e.g. the database's statement timeout, decide).
   */
  hardLoadTimeoutMs?: number;
  /**
   * After a failed load with a stale value served, serve that value for this many ms without calling the
   * loader again (throttled retries, so a failing database is not hammered). Default: engine's (1000).
   */
  failSafeRetryMs?: number;
  /**
   * Refresh-ahead: once this fraction (0–1) of the TTL has passed, serve the current value and reload it in
   * the background, one load per key. E.g. `0.8` refreshes during the last 20 % of the TTL. Default off.
   */
  refreshAheadRatio?: number;
  /**
   * Distributed lock around the load, so one instance loads a key while the others wait for its result
   * (`SET NX PX` with an owner token, released by compare-and-delete). `true` = `{ ttlMs: 5000, waitMs: 2000 }`;
   * waiters poll L2 until `waitMs`, then load themselves. Ignored without Redis.
   */
  lock?: boolean | { ttlMs?: number; waitMs?: number };
}

/** What {@link CacheEngine.getOrLoad} and {@link CacheEngine.getEntry} return. */
export interface CacheResult<T> {
  /** The value; `undefined` when the loader found nothing (possibly a cached negative). */
  value: T | undefined;
  source: CacheSource;
  /** The version the entry was written with, if any. */
  version?: number;
  /** Epoch ms when the entry was stored (for `Age` / `ETag`). */
  storedAt: number;
}

/** An entry as a watch reads it (a {@link CacheResult} with its value, or a `CachedResource`). */
export interface WatchedEntry<T> {
  value: T;
  version?: number;
  storedAt: number;
}

/**
 * One step of an entry's change feed (`watch`): a newer version of it (`set`), or its absence (`delete`:
 * deleted, expired and not reloadable, or no longer visible to the reader).
 */
export type EntryChange<T> =
  | { op: 'set'; key: string; value: T; version?: number; storedAt: number }
  | { op: 'delete'; key: string };

/** Options of `watch`. */
export interface EntryWatchOptions {
  /**
   * How often the entry is read while a change could go unannounced (the bus is down, its lease lapsed, or a
   * peer is silent): the feed is then at most this late. Default 1000 ms; at least 50.
   */
  fallbackMs?: number;
  /** Report only versions newer than this (a client resuming after the last version it received). */
  after?: number;
}

/** Counters since start (or since `resetStats`). All counts are integers; `hitRate` is a percentage 0–100. */
export interface CacheStats {
  hits: number;
  misses: number;
  l1Hits: number;
  l1Misses: number;
  l2Hits: number;
  l2Misses: number;
  loads: number;
  coalesced: number;
  staleServed: number;
  sets: number;
  deletes: number;
  invalidations: number;
  errors: number;
  timeouts: number;
  hitRate: number;
  totalRequests: number;
  redisEnabled: boolean;
  redisAvailable: boolean;
  circuit: CircuitState;
  l1: { entries: number; bytes: number; maxEntries: number; maxBytes: number };
  /** Loads that exceeded their `loadTimeoutMs`. */
  loadTimeouts: number;
  /** Loads that threw (or timed out without a stale value to serve). */
  loadErrors: number;
  /** Background refreshes started (refresh-ahead, and soft load timeouts that went on loading). */
  refreshes: number;
  /** Distributed locks taken, waits for another instance's load, and waits that gave up. */
  lockAcquired: number;
  lockWaits: number;
  lockTimeouts: number;
  /** Reads that skipped an L1 entry because the strict coherence lease was not held. */
  l1Bypassed: number;
  /** Invalidations published, received from other instances, waited out to the lease, or not publishable. */
  busPublished: number;
  busReceived: number;
  busAckTimeouts: number;
  busUnconfirmed: number;
  /** Times L1 was dropped because bus messages may have been missed (resubscribe, lapsed lease). */
  busResubscribes: number;
  /** Values not cached because they exceeded `maxEntryBytes`. */
  oversized: number;
  /** Values stored compressed. */
  compressed: number;
  /** Strict writes refused by `admitWrite` (this instance cut off past its write window, or never heard). */
  writesRefused: number;
  /**
   * The invalidation bus (`disabled` without Redis or with `bus.enabled: false`) and the coordination state:
   * `trusted` = strict entries may be read from the cache now (no member silent, this instance heard);
   * `dark` = this instance stopped heartbeating after a strict write it could not confirm (until repaired);
   * `epochKnown` = the keyspace epoch is confirmed; `silentMembers` = members not heard for a lease.
   */
  bus: {
    state: 'disabled' | 'connecting' | 'live' | 'lapsed' | 'closed'; peers: number; lastReceivers: number;
    trusted: boolean; dark: boolean; epochKnown: boolean; silentMembers: number;
  };
}

/**
 * Cross-instance coherence of L1 entries.
 * - `strict`: an L1 entry is served only while this instance holds the bus lease (see the README), and
 *   writes wait until every live instance has dropped its copy. Once `set`/`delete`/`invalidateTags`
 *   resolves on any instance, no instance serves the older value. Without the bus (Redis down, not yet
 *   subscribed) strict reads go to L2 or the loader.
 * - `eventual`: L1 entries are served until their (L1) TTL or until the bus message arrives; writes do not
 *   wait. During a Redis outage L1 keeps serving them.
 */
export type CoherenceMode = 'strict' | 'eventual';

/** Bounds and TTL of the in-process tier (L1). */
export interface L1Options {
  /** `false` turns L1 off (every read goes to Redis). Ignored without Redis: memory is then the only tier. */
  enabled?: boolean;
  /** Maximum number of entries. Default 10 000. */
  maxEntries?: number;
  /** Maximum total size of the stored envelopes, in bytes (UTF-16 length × 2 as an estimate). Default 64 MiB. */
  maxBytes?: number;
  /** Cap on how long an entry lives in L1, in seconds; shorter than the L2 TTL limits cross-instance staleness. */
  ttlSeconds?: number;
}

/**
 * Observer of the engine, for metrics (the Nest layer's Prometheus exporter uses it). Called synchronously on
 * the hot path: keep it cheap; a throwing observer is ignored. Never given a key or a value — only the key's
 * group (its namespace, the first segment of the logical key), so label cardinality stays bounded.
 */
export interface CacheInstrumentation {
  /** A counter of {@link CacheStats} moved by `by`; `group` when the event concerns one key. */
  onCount?(counter: string, by: number, group: string | undefined): void;
  /** A guarded Redis call ended: `rejected` = refused at once (circuit open or not connected). */
  onRedisCall?(operation: string, durationMs: number, outcome: 'ok' | 'error' | 'timeout' | 'rejected'): void;
}

/** Configuration of {@link CacheEngine}. Every field is optional. */
export interface CacheEngineOptions {
  /** Observer for metrics (see {@link CacheInstrumentation}). */
  instrumentation?: CacheInstrumentation;
  /**
   * Where Redis is. Absent/empty → memory tier only. Forms (`rediss…` = TLS):
   * - `redis://[user[:password]@]host[:port][/db]`
   * - `redis+sentinel://[user[:password]@]s1[:26379][,s2…]/masterName[/db][?sentinelUsername=…&sentinelPassword=…]`
   *   (the user info authenticates to the primary; Sentinel credentials go in the query)
   * - `redis+cluster://[user[:password]@]n1[:6379][,n2…]` (seed nodes; database 0 only)
   * See the README ("Redis URLs and topologies") for the Cluster key design and the bus on a Cluster.
   */
  redisUrl?: string;
  /** Prefix of every physical key (default `cache:`); `clear()` only touches keys under it. */
  keyPrefix?: string;
  /** TTL when a write does not give one. Default 30 s. */
  defaultTtlSeconds?: number;
  /** Time bound of every Redis call, in ms (default 200, at most 250 recommended). */
  commandTimeoutMs?: number;
  /** TCP connect timeout in ms (default 2000). `connect()` never waits longer than this. */
  connectTimeoutMs?: number;
  /** The in-process tier. */
  l1?: L1Options;
  /** Breaker guarding Redis: opens after `failureThreshold` consecutive failures, probes after `cooldownMs`. */
  circuitBreaker?: { failureThreshold?: number; cooldownMs?: number };
  /** Fail-safe: keep entries this long past their TTL and serve them (source `stale`) when the loader fails. */
  graceSeconds?: number;
  /** Fraction (0–0.5) of random jitter subtracted from TTLs to spread expiries. Default 0. */
  ttlJitter?: number;
  /** Entries whose encoded size exceeds this many bytes are not cached (default 4 MiB). */
  maxEntryBytes?: number;
  /** Maximum number of keys remembered as "written while Redis was unreachable" (default 10 000). */
  maxDirtyKeys?: number;
  /** Where the engine logs; never receives values or credentials. Default: silent. */
  logger?: CacheLogger;
  /** Coherence of L1 across instances (see {@link CoherenceMode}); default `strict`. Only meaningful with Redis. */
  coherence?: CoherenceMode;
  /** Per-namespace override of `coherence`, by the key's first segment: `{ stats: 'eventual' }`. */
  coherenceByNamespace?: Record<string, CoherenceMode>;
  /**
   * The invalidation bus (Redis pub/sub, on by default with Redis). `leaseMs` (default 1500) bounds how
   * long a write may wait for an unresponsive instance and how long an instance cut off from the bus keeps
   * serving strict L1 entries; heartbeats go out every `heartbeatMs` (default `leaseMs / 4`).
   */
  bus?: {
    enabled?: boolean;
    leaseMs?: number;
    heartbeatMs?: number;
    /** Where the subscriber connects, if not `redisUrl` (e.g. a replica: pub/sub messages reach replicas too). */
    redisUrl?: string;
    /**
     * How long an instance that cannot confirm its strict writes (cut off from Redis or its peers) keeps
     * acknowledging them, in ms (default 30 000). Its peers distrust their caches for that long while it is
     * silent; past it the instance refuses strict writes (`CacheWriteRefusedError`) and its peers stop waiting
     * for it. Must exceed `leaseMs` several times.
     */
    writeWindowMs?: number;
    /**
     * For a one-shot tool that writes into a live cache (the `cache:migrate` copy): read the coordination
     * record and write in its epoch, but do not join it — so the tool's exit or crash costs the running
     * instances nothing. Its writes are promised to nobody: one Redis did not take is reported `false` and
     * not waited for. Default `false`.
     */
    observer?: boolean;
  };
  /** Default soft loader time bound in ms for `getOrLoad` (see {@link GetOrLoadOptions.loadTimeoutMs}). */
  loadTimeoutMs?: number;
  /** Default hard loader time bound in ms for `getOrLoad` (see {@link GetOrLoadOptions.hardLoadTimeoutMs}). */
  hardLoadTimeoutMs?: number;
  /** Default throttle of loader retries in fail-safe, ms (default 1000). */
  failSafeRetryMs?: number;
  /** Values whose JSON exceeds this many bytes are stored gzip-compressed (default 16 KiB; 0 = never). */
  compressAboveBytes?: number;
}
