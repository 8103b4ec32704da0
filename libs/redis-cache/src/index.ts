// Public API of nestjs-tiered-cache: the Nest module, the CacheService facade, the HTTP interceptor, the
// decorators, the errors and the option types (the shape of @nestjs/cache-manager's lib/index.ts).
// Integrations live at their own subpaths, each needing only its own optional peer: `/typeorm`
// (CachedRepository), `/cache-manager` (the Keyv store), `/metrics` (Prometheus), `/health` (Terminus),
// `/migration` (moving off a legacy cache), `/engine` (the cache without Nest).
// Loading this entry needs only the required peers (@nestjs/common, @nestjs/core, ioredis, lru-cache,
// reflect-metadata, rxjs).

// Module and services
export { RedisCacheModule } from './nest/redis-cache.module.js';
export { CacheService } from './nest/cache.service.js';
export { NamespacedCache, type CacheKeyParts, type NamespacedCacheOptions } from './nest/namespaced-cache.js';
export { InjectCache, getCacheToken } from './nest/inject-cache.decorator.js';
export type { RedisCacheModuleOptions } from './nest/redis-cache-module-options.interface.js';
export { REDIS_CACHE_MODULE_OPTIONS } from './nest/redis-cache.constants.js';
export type { AnyNamespaceMigration, NamespaceMigrationOptions } from './migration/namespace-migrations.js';

// HTTP response cache
export { CacheInterceptor } from './interceptors/cache.interceptor.js';
export { CachedResource } from './interceptors/cached-resource.js';
export { defaultCacheScope } from './interceptors/default-cache-scope.js';
export type { CacheScope, CacheScopeResolver, HttpCacheOptions } from './interceptors/http-cache-options.interface.js';
export {
  CacheFromEntry, CacheKey, CacheTags, CacheTTL, NoCache, type HttpCacheKey, type HttpCacheTags, type HttpCacheTtl,
} from './decorators/http-cache.decorators.js';

// The HTTP fast path, derived from Nest's route table (Fastify)
export { CacheFastPath } from './decorators/cache-fast-path.decorator.js';
export { admittedOnFastPath, type FastPathGuard } from './fast-path/fast-path-guard.js';
export { FastPathRouter } from './fast-path/fast-path-router.js';
export type { CacheFastPathOptions, FastPathRequest, FastPathStats } from './fast-path/fast-path.types.js';

// Method decorators
export { Cacheable, CacheEvict, CachePut } from './decorators/method-cache.decorators.js';
export type { CacheEvictOptions, MethodCacheOptions, MethodKeyParts } from './decorators/method-cache.options.js';

// Health: provided by the module; @nestjs/terminus (optional peer) is loaded on the first check.
export {
  RedisCacheHealthIndicator, type RedisCacheHealthDetails, type RedisCacheHealthResult,
} from './health/redis-cache-health.indicator.js';

// Errors
export {
  CacheConfigError, CacheError, CacheLoadTimeoutError, CacheTimeoutError, CacheWriteRefusedError, CircuitOpenError,
  RedisCommandError, RedisUnavailableError,
} from './engine/cache.errors.js';

// Checks a Redis URL in any form the module takes (for an app validating its configuration at start)
export { validateRedisUrl } from './engine/redis-url.js';

// Options, results and the instrumentation seam of the engine behind CacheService
export type {
  CacheEngineOptions, CacheInstrumentation, CacheLogger, CacheResult, CacheSetOptions, CacheSource, CacheStats, CircuitState,
  CoherenceMode, EntryChange, EntryWatchOptions, GetOrLoadOptions, L1Options, TtlPolicy, WatchedEntry,
} from './engine/cache.types.js';
export type { ManyLoader } from './engine/batch-loader.js';

/** Version of this library. */
export const REDIS_CACHE_VERSION = '0.1.0';
