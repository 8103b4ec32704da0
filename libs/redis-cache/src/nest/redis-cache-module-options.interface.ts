import type { CacheEngineOptions } from '../engine/cache.types.js';
import type { HttpCacheOptions } from '../interceptors/http-cache-options.interface.js';
import type { AnyNamespaceMigration } from '../migration/namespace-migrations.js';

/** Options of `RedisCacheModule.forRoot` / `forRootAsync`: the engine's options (see {@link CacheEngineOptions}). */
export interface RedisCacheModuleOptions extends CacheEngineOptions {
  /** Time bound of {@link RedisCacheHealthIndicator} checks in ms (default 1000). */
  healthTimeoutMs?: number;
  /** Behaviour of {@link CacheInterceptor}: the caller's scope, the default TTL of responses. */
  http?: HttpCacheOptions;
  /**
   * Namespaces moving off a legacy cache, by namespace: `CacheService` reads and writes their keys
   * (`cache.key(namespace, id)`) through a `MigratingCache` with these options, phase by phase (see the
   * migration README). The application keeps using `CacheService` (or `CachedRepository`) as usual.
   *
   * @example migrations: { job: { legacy, phase: () => config.phases.job, ttl: 30, version: (job: Job) => job.version } }
   */
  migrations?: Readonly<Record<string, AnyNamespaceMigration>>;
}
