import type { CacheResult, CacheSetOptions, GetOrLoadOptions, TtlPolicy } from '../engine/cache.types.js';
import type { CacheService } from './cache.service.js';

/** Key parts below a namespace: one part or several (`[clientId, page]`). Each part is encoded. */
export type CacheKeyParts = string | number | ReadonlyArray<string | number>;

/** Policy of one feature's namespace, given to `RedisCacheModule.forFeature(namespace, options)`. */
export interface NamespacedCacheOptions {
  /** TTL of writes and loads that do not give one: seconds, or computed from the value. */
  ttl?: TtlPolicy<unknown>;
  /** Seconds a loader's "not found" (`undefined`) is remembered; 0 (default) = not cached. */
  negativeTtlSeconds?: number;
  /** Tags attached to every entry of this namespace (in addition to per-call tags). */
  tags?: readonly string[];
}

/**
 * One feature's view of the shared cache: every key lives under its namespace and gets its TTL policy.
 * All namespaced caches of an app share the one {@link CacheService} (one Redis connection set), so they
 * cost nothing to create. Inject with `@InjectCache('jobs')`.
 *
 * @example
 * constructor(@InjectCache('invoices') private readonly invoices: NamespacedCache) {}
 * await this.invoices.getOrLoad([tenantId, id], () => this.repo.findOneBy({ id }));
 */
export class NamespacedCache {
  constructor(
    /** The shared cache. */
    readonly cache: CacheService,
    /** The namespace every key of this cache lives under. */
    readonly namespace: string,
    private readonly options: NamespacedCacheOptions = {},
  ) {
    cache.key(namespace); // validates the namespace now, at boot, rather than on the first request
  }

  /** The logical key of `parts` in this namespace (what `CacheService` methods take). */
  key(parts: CacheKeyParts): string {
    const list: ReadonlyArray<string | number> = typeof parts === 'object' ? parts : [parts];
    return this.cache.key(this.namespace, ...list);
  }

  private ttlFor(value: unknown): number | undefined {
    const ttl = this.options.ttl;
    return typeof ttl === 'function' ? ttl(value) : ttl;
  }

  private tagsWith(tags: readonly string[] | undefined): readonly string[] | undefined {
    const all = [...(this.options.tags ?? []), ...(tags ?? [])];
    return all.length === 0 ? undefined : all;
  }

  /** The value under `parts`, or `undefined`. */
  get<T>(parts: CacheKeyParts): Promise<T | undefined> {
    return this.cache.get<T>(this.key(parts));
  }

  /** The entry (value, source, version, storedAt) under `parts`, or `undefined`. */
  getEntry<T>(parts: CacheKeyParts): Promise<CacheResult<T> | undefined> {
    return this.cache.getEntry<T>(this.key(parts));
  }

  /** Writes with the namespace's TTL policy unless `options.ttlSeconds` is given (see `CacheService.set`). */
  set<T>(parts: CacheKeyParts, value: T, options: CacheSetOptions = {}): Promise<boolean> {
    return this.cache.set(this.key(parts), value, {
      ...options, ttlSeconds: options.ttlSeconds ?? this.ttlFor(value), tags: this.tagsWith(options.tags),
    });
  }

  /** Cache-aside read with the namespace's TTL policy and negative caching (see `CacheService.getOrLoad`). */
  getOrLoad<T>(parts: CacheKeyParts, loader: () => Promise<T | undefined>, options: GetOrLoadOptions<T> = {}): Promise<CacheResult<T>> {
    return this.cache.getOrLoad(this.key(parts), loader, {
      ...options,
      ttl: options.ttl ?? (this.options.ttl as TtlPolicy<T> | undefined),
      negativeTtlSeconds: options.negativeTtlSeconds ?? this.options.negativeTtlSeconds,
      tags: this.tagsWith(options.tags),
    });
  }

  /** Deletes the entry; with `version`, leaves a tombstone (see `CacheService.delete`). */
  delete(parts: CacheKeyParts, options?: { version?: number }): Promise<void> {
    return this.cache.delete(this.key(parts), options);
  }

  /** Makes every entry tagged with one of `tags` a miss (tags are shared across namespaces). */
  invalidateTags(tags: readonly string[]): Promise<void> {
    return this.cache.invalidateTags(tags);
  }

  /** Deletes every entry of this namespace (SCAN + UNLINK; other namespaces untouched). */
  clear(): Promise<number> {
    return this.cache.deleteByPrefix(`${this.namespace}:`);
  }
}
