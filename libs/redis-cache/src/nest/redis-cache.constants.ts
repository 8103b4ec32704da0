/** Injection tokens and metadata keys of the Nest layer, namespaced so they cannot clash with an app's. */

/** Token of the resolved {@link RedisCacheModuleOptions} (set by `ConfigurableModuleBuilder`). */
export const REDIS_CACHE_MODULE_OPTIONS = 'REDIS_CACHE:MODULE_OPTIONS';

/** Prefix of the token of a namespaced cache registered with `RedisCacheModule.forFeature(namespace)`. */
export const REDIS_CACHE_NAMESPACE_TOKEN_PREFIX = 'REDIS_CACHE:NAMESPACE:';

/** Default time bound of the health check, in ms. */
export const REDIS_CACHE_HEALTH_TIMEOUT_MS = 1000;

/** How long a health result is reused, in ms (a probe storm must not become a Redis storm). */
export const REDIS_CACHE_HEALTH_CACHE_MS = 1000;

/** Metadata keys of the route and method decorators. */
export const REDIS_CACHE_METADATA = {
  ttl: 'redis_cache:ttl',
  key: 'redis_cache:key',
  tags: 'redis_cache:tags',
  noCache: 'redis_cache:no_cache',
  fromEntry: 'redis_cache:from_entry',
  fastPath: 'redis_cache:fast_path',
  cacheable: 'redis_cache:cacheable',
  cachePut: 'redis_cache:cache_put',
  cacheEvict: 'redis_cache:cache_evict',
} as const;

/**
 * Metadata keys of `@nestjs/cache-manager`'s `@CacheTTL` (milliseconds) and `@CacheKey`, which our
 * interceptor does not read: their presence on a route under it is reported at start-up.
 */
export const STOCK_CACHE_MANAGER_METADATA = {
  ttl: 'cache_module:cache_ttl',
  key: 'cache_module:cache_key',
} as const;
