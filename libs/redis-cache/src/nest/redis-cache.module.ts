import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MethodCacheExplorer } from '../decorators/method-cache.explorer.js';
import { RedisCacheHealthIndicator } from '../health/redis-cache-health.indicator.js';
import { CacheInterceptor } from '../interceptors/cache.interceptor.js';
import { CacheService } from './cache.service.js';
import { getCacheToken } from './inject-cache.decorator.js';
import { NamespacedCache, type NamespacedCacheOptions } from './namespaced-cache.js';
import { MODULE_OPTIONS_TOKEN, RedisCacheConfigurableModule } from './redis-cache.module-definition.js';

/**
 * The cache module. `RedisCacheModule.forRoot({ redisUrl, keyPrefix, … })` or
 * `RedisCacheModule.forRootAsync({ useFactory: (config) => ({ … }), inject: [...] })`; `isGlobal: true`
 * makes {@link CacheService} and {@link CacheInterceptor} injectable everywhere. Method decorators
 * (`@Cacheable`, `@CachePut`, `@CacheEvict`) are wired at bootstrap by this module.
 *
 * @example
 * RedisCacheModule.forRoot({ isGlobal: true, redisUrl: process.env.REDIS_URL, keyPrefix: 'jobs:' })
 */
@Module({
  imports: [DiscoveryModule],
  // The health indicator loads the optional @nestjs/terminus only when a check runs.
  providers: [CacheService, RedisCacheHealthIndicator, CacheInterceptor, MethodCacheExplorer],
  // The options are exported so that `@UseInterceptors(CacheInterceptor)` resolves in the consumer's module.
  exports: [CacheService, RedisCacheHealthIndicator, CacheInterceptor, MODULE_OPTIONS_TOKEN],
})
export class RedisCacheModule extends RedisCacheConfigurableModule {
  /**
   * Registers a {@link NamespacedCache} for one feature, injectable with `@InjectCache(namespace)`. It uses
   * the app's one {@link CacheService} (register `forRoot` with `isGlobal: true`), so any number of features
   * share one Redis connection set, closed once on shutdown.
   *
   * @example
   * @Module({ imports: [RedisCacheModule.forFeature('invoices', { ttl: 300, negativeTtlSeconds: 5 })] })
   */
  static forFeature(namespace: string, options: NamespacedCacheOptions = {}): DynamicModule {
    const token = getCacheToken(namespace);
    return {
      module: RedisCacheFeatureModule,
      providers: [{ provide: token, useFactory: (cache: CacheService) => new NamespacedCache(cache, namespace, options), inject: [CacheService] }],
      exports: [token],
    };
  }
}

/** Host of `forFeature` registrations (kept apart so a feature never re-creates the root providers). */
@Module({})
export class RedisCacheFeatureModule {}
