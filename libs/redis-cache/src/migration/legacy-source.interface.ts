/**
 * The store a team caches in today, seen through the four operations a phased migration needs. Keys are
 * the legacy store's own keys (a row id, a cache-manager key); values are plain JSON.
 */

/** One live value of the legacy store. */
export interface LegacyEntry<T = unknown> {
  value: T;
  /** Epoch ms at which the legacy store considers the value expired; absent = no expiry. */
  expiresAt?: number;
}

/** One entry met while walking the store (see {@link LegacySource.entries}). */
export interface LegacyRecord extends LegacyEntry {
  key: string;
}

/** A page of the walk, with the cursor that resumes the walk right after it. */
export interface LegacyBatch {
  records: LegacyRecord[];
  /**
   * Opaque resume point after this batch: pass it back as `after` to continue. Stored in the copy
   * checkpoint, so it must be a plain string.
   */
  cursor: string;
}

/** Options of a walk over the legacy store. */
export interface LegacyWalkOptions {
  /** Entries per batch (the only entries held in memory at a time). */
  batchSize: number;
  /** A cursor from a previous batch: the walk resumes after it. */
  after?: string;
}

/**
 * A legacy cache: a Keyv store, a cache-manager cache, a PostgreSQL table of JSON entries, or anything with
 * get/set/delete. Implementations throw on failure; {@link MigratingCache} bounds every call in time,
 * counts it and decides the fallback, so adapters stay plain.
 *
 * @example
 * const legacy = new PostgresLegacySource({ pool, table: 'analytics', keyColumn: 'id', valueColumn: 'analytics_cache', mode: 'column' });
 */
export interface LegacySource {
  /** A short description for logs and metrics, never a credential (e.g. `postgres:public.jobs.job_progress_cache`). */
  readonly description: string;
  /** The value under `key` with its expiry, or `undefined` when absent. May return an expired entry. */
  get(key: string): Promise<LegacyEntry | undefined>;
  /** Stores `value` under `key`, expiring at `expiresAt` (epoch ms) when given. */
  set(key: string, value: unknown, expiresAt?: number): Promise<void>;
  /** Removes `key`; absent keys are not an error. */
  delete(key: string): Promise<void>;
  /**
   * Walks every stored entry in batches (expired ones may be included: the caller decides), resumable
   * from a batch's cursor. Optional: only the copy command needs it.
   */
  entries?(options: LegacyWalkOptions): AsyncIterable<LegacyBatch>;
  /** Number of stored entries, for a progress bar; optional and may be approximate. */
  count?(): Promise<number>;
  /** Releases what the adapter opened itself (never a pool or client it was given). */
  close?(): Promise<void>;
}
