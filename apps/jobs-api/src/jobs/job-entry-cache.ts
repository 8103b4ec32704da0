import type { CachedRepositoryCache, CacheResult, CacheService, CacheSetOptions, GetOrLoadOptions, MigratingCache } from '@app/redis-cache';
import type { JobResponse } from './dto/job.response.js';
import { SoftLoadTimeout } from './soft-load-timeout.js';

/** What {@link JobEntryCache} needs to be built. */
export interface JobEntryCacheSettings {
  /** The `job` namespace's migration off the `job_progress_cache` column, or `null` when none is configured. */
  migration: MigratingCache<JobResponse> | null;
  /** `CACHE_LOAD_TIMEOUT_MS`: past it a stale entry is served while PostgreSQL is slow (see {@link SoftLoadTimeout}). */
  loadTimeoutMs: number;
}

/**
 * The cache the jobs' `CachedRepository` talks to: `CacheService`, with two additions that leave the
 * repository, the service and the HTTP contract as they are.
 *
 * - Reads (job entries and pages) get the soft load timeout.
 * - When `CACHE_MIGRATION_PHASES` names `job`, the job entries (`job:<id>`, the very keys the repository
 *   builds) are read and written through the `MigratingCache`, which adds the legacy column per phase.
 *   Every other key (pages, tags) goes straight to `CacheService`.
 */
export class JobEntryCache implements CachedRepositoryCache {
  private readonly soft: SoftLoadTimeout;
  private readonly migration: MigratingCache<unknown> | null;

  constructor(
    private readonly cache: CacheService,
    settings: JobEntryCacheSettings,
  ) {
    this.soft = new SoftLoadTimeout(settings.loadTimeoutMs);
    // The repository is generic in the value; for the job keys routed here it is always a `JobResponse`.
    this.migration = settings.migration as MigratingCache<unknown> | null;
  }

  /** See `CacheService.key`. */
  key(namespace: string, ...parts: Array<string | number>): string {
    return this.cache.key(namespace, ...parts);
  }

  /** See `CacheService.getOrLoad`; job entries go through the migration when one is configured. */
  getOrLoad<T>(key: string, loader: () => Promise<T | undefined>, options: GetOrLoadOptions<T> = {}): Promise<CacheResult<T>> {
    const id = this.migratingId(key);
    return this.soft.run(key, loader, options, (load, opts) =>
      id === undefined
        ? this.cache.getOrLoad(key, load, opts)
        : (this.migration!.getOrLoad(id, load, opts as GetOrLoadOptions<unknown>) as Promise<CacheResult<T>>));
  }

  /** See `CacheService.set`; a job entry also reaches (or leaves) the legacy column as the phase says. */
  set<T>(key: string, value: T, options?: CacheSetOptions | number): Promise<boolean> {
    const id = this.migratingId(key);
    if (id === undefined) return this.cache.set(key, value, options);
    return this.migration!.set(id, value, typeof options === 'number' ? { ttlSeconds: options } : options);
  }

  /** See `CacheService.delete`; a job entry's legacy copy is deleted too (while the phase touches legacy). */
  delete(key: string, options?: { version?: number }): Promise<void> {
    const id = this.migratingId(key);
    return id === undefined ? this.cache.delete(key, options) : this.migration!.delete(id, options);
  }

  /** See `CacheService.invalidateTags`. */
  invalidateTags(tags: readonly string[]): Promise<void> {
    return this.cache.invalidateTags(tags);
  }

  /**
   * The id of a key in the migrating namespace, or `undefined`. Decided by rebuilding the key from the
   * candidate id, so a key of another namespace (`job-list:…`) or an encoded part can never be mistaken.
   */
  private migratingId(key: string): string | undefined {
    if (this.migration === null) return undefined;
    const prefix = `${this.migration.namespace}:`;
    if (!key.startsWith(prefix)) return undefined;
    const id = key.slice(prefix.length);
    return this.migration.key(id) === key ? id : undefined;
  }
}
