// Public API of @app/redis-cache. Anything not exported here (or at a subpath entry: health.ts, typeorm.ts,
// cache-manager.ts, metrics.ts, migration/index.ts) is internal.
// Loading this entry needs only the required peers (@nestjs/common, @nestjs/core, ioredis, lru-cache,
// reflect-metadata, rxjs): optional ones are imported as types only, or loaded on first use.

// Engine (plain TypeScript, usable without Nest)
export { CacheEngine, type CacheJsonResult } from './engine/cache-engine.js';
export type {
  CacheEngineOptions, CacheLogger, CacheResult, CacheSetOptions, CacheSource, CacheStats, CircuitState,
  CoherenceMode, GetOrLoadOptions, L1Options, TtlPolicy,
} from './engine/cache.types.js';
export {
  CacheConfigError, CacheError, CacheLoadTimeoutError, CacheTimeoutError, CircuitOpenError, RedisCommandError,
  RedisUnavailableError,
} from './engine/cache.errors.js';
export { buildKey, encodeKeyPart, escapeGlob } from './engine/key-builder.js';

// Module and services
export { RedisCacheModule, RedisCacheFeatureModule } from './nest/redis-cache.module.js';
export { CacheService } from './nest/cache.service.js';
export { NamespacedCache, type CacheKeyParts, type NamespacedCacheOptions } from './nest/namespaced-cache.js';
export { InjectCache, getCacheToken } from './nest/inject-cache.decorator.js';
export type { RedisCacheModuleOptions } from './nest/redis-cache-module-options.interface.js';
export { REDIS_CACHE_METADATA, REDIS_CACHE_MODULE_OPTIONS } from './nest/redis-cache.constants.js';

// HTTP response cache
export { CacheInterceptor } from './interceptors/cache.interceptor.js';
export { CachedResource } from './interceptors/cached-resource.js';
export { defaultCacheScope } from './interceptors/default-cache-scope.js';
export { entryEtag, ifNoneMatchMatches } from './interceptors/etag.util.js';
export {
  EntryFastPath, installEntryFastPath, type EntryFastPathOptions, type EntryFastPathRoute, type FastPathAnswer, type FastPathHeaders,
  type FastPathRequest, type RoutedRequest,
} from './interceptors/entry-fast-path.js';
export { httpCacheKey, HTTP_CACHE_NAMESPACE } from './interceptors/http-cache-key.util.js';
export type { CacheScope, CacheScopeResolver, HttpCacheOptions } from './interceptors/http-cache-options.interface.js';
export {
  CacheFromEntry, CacheKey, CacheTags, CacheTTL, NoCache, type CacheFromEntryOptions, type HttpCacheKey, type HttpCacheTags,
  type HttpCacheTtl,
} from './decorators/http-cache.decorators.js';

// Method decorators
export { Cacheable, CacheEvict, CachePut } from './decorators/method-cache.decorators.js';
export type { CacheEvictOptions, MethodCacheOptions, MethodKeyParts } from './decorators/method-cache.options.js';

// Health (@nestjs/terminus is an optional peer, loaded on the first check; also at the `/health` subpath)
export {
  RedisCacheHealthIndicator, type RedisCacheHealthDetails, type RedisCacheHealthResult,
} from './health/redis-cache-health.indicator.js';

// Phased migration from a legacy cache (Keyv, cache-manager, a PostgreSQL JSON column) and the copy command.
// Everything but `registerMigrationMetrics`, which loads prom-client: that one is at the `/migration` subpath.
// (From the files, not migration/index.js: that module graph would load prom-client.)
export type { LegacyBatch, LegacyEntry, LegacyRecord, LegacySource, LegacyWalkOptions } from './migration/legacy-source.interface.js';
export { PostgresLegacySource, type PostgresLegacySourceOptions, type SqlQueryable } from './migration/sources/postgres-legacy-source.js';
export { KeyvLegacySource, type KeyvLegacySourceOptions } from './migration/sources/keyv-legacy-source.js';
export { CacheManagerLegacySource } from './migration/sources/cache-manager-legacy-source.js';
export { quoteIdentifier } from './migration/sources/sql-identifier.js';
export { MigratingCache, type MigratingCacheOptions, type MigratingResult, type MigrationTarget } from './migration/migrating-cache.js';
export { MIGRATION_PHASES, isMigrationPhase, parseMigrationPhases, type MigrationPhase } from './migration/migration-phase.js';
export type { MigrationReadSource, MigrationStats } from './migration/migration-stats.js';
export { LegacyCircuitOpenError, LegacySourceError, LegacyTimeoutError, MigrationConfigError } from './migration/migration.errors.js';
export { copyLegacyEntries, type CopyOptions, type CopyProgress, type CopyTarget } from './migration/copy/legacy-copier.js';
export type { CopyCounts, CopyResult } from './migration/copy/copy-result.js';
export { FileCheckpointStore, type CopyCheckpoint, type CopyCheckpointStore } from './migration/copy/copy-checkpoint.js';
export { openLegacySource, type OpenedLegacySource } from './migration/cli/legacy-spec.js';
export { runCacheMigrateCli, CACHE_MIGRATE_USAGE, type CliContext } from './migration/cli/cache-migrate.cli.js';

/** Version of this library. */
export const REDIS_CACHE_VERSION = '0.1.0';

// TypeORM cache-aside repository
export { CachedRepository, type CachedRepositoryCache, type CachedRepositoryOptions, type CachedWriteOptions } from './repository/cached-repository.js';
export { afterCommit, type DeferredCacheWork } from './repository/after-commit.js';

// @nestjs/cache-manager / Keyv compatibility (keyv is an optional peer; only its types are imported)
export { RedisCacheKeyvStore, type RedisCacheKeyvStoreOptions } from './keyv/redis-cache-keyv.store.js';

// Prometheus metrics (prom-client is an optional peer, loaded on use) and the instrumentation seam
export { RedisCacheMetrics, type RedisCacheMetricsOptions } from './metrics/redis-cache-metrics.js';
export type { CacheInstrumentation } from './engine/cache.types.js';
