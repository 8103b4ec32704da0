import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MethodCacheExplorer } from '../decorators/method-cache.explorer.js';
import { FastPathRouter } from '../fast-path/fast-path-router.js';
import { RedisCacheHealthIndicator } from '../health/redis-cache-health.indicator.js';
import { CacheInterceptor } from '../interceptors/cache.interceptor.js';
import { StockCacheMetadataCheck } from '../interceptors/stock-cache-metadata.check.js';
import { CacheService } from './cache.service.js';
import { getCacheToken } from './inject-cache.decorator.js';
import { NamespacedCache, type NamespacedCacheOptions } from './namespaced-cache.js';
import {
  MODULE_OPTIONS_TOKEN, REDIS_CACHE_ASYNC_OPTIONS_TYPE, REDIS_CACHE_OPTIONS_TYPE, RedisCacheConfigurableModule,
} from './redis-cache.module-definition.js';

/**
 * The cache module. `RedisCacheModule.forRoot({ redisUrl, keyPrefix, … })` or
 * `RedisCacheModule.forRootAsync({ useFactory: (config) => ({ … }), inject: [...] })` — also under the names
 * `@nestjs/cache-manager` users know, `register` and `registerAsync`; `isGlobal: true` makes
 * {@link CacheService} and {@link CacheInterceptor} injectable everywhere. Method decorators
 * (`@Cacheable`, `@CachePut`, `@CacheEvict`) are wired at bootstrap by this module, and so is the fast path of
 * `@CacheFastPath` routes; start-up fails if a route under our interceptor carries `@nestjs/cache-manager`'s
 * `@CacheTTL`/`@CacheKey` (see {@link StockCacheMetadataCheck}).
 *
 * @example
 * RedisCacheModule.forRoot({ isGlobal: true, redisUrl: process.env.REDIS_URL, keyPrefix: 'jobs:' })
 */
@Module({
  imports: [DiscoveryModule],
  // The health indicator loads the optional @nestjs/terminus only when a check runs.
  // FastPathRouter attaches `@CacheFastPath` routes' hooks as Nest registers them (nothing without one).
  providers: [CacheService, RedisCacheHealthIndicator, CacheInterceptor, MethodCacheExplorer, StockCacheMetadataCheck, FastPathRouter],
  // The options are exported so that `@UseInterceptors(CacheInterceptor)` resolves in the consumer's module.
  exports: [CacheService, RedisCacheHealthIndicator, CacheInterceptor, FastPathRouter, MODULE_OPTIONS_TOKEN],
})
export class RedisCacheModule extends RedisCacheConfigurableModule {
  /**
   * {@link RedisCacheModule.forRoot} under `@nestjs/cache-manager`'s name (every option is optional).
   *
   * @example RedisCacheModule.register({ isGlobal: true, redisUrl: process.env.REDIS_URL })
   */
  static register(options: typeof REDIS_CACHE_OPTIONS_TYPE = {}): DynamicModule {
    return this.forRoot(options);
  }

  /**
   * {@link RedisCacheModule.forRootAsync} under `@nestjs/cache-manager`'s name.
   *
   * @example RedisCacheModule.registerAsync({ isGlobal: true, imports: [ConfigModule], inject: [ConfigService], useFactory: (c) => ({ … }) })
   */
  static registerAsync(options: typeof REDIS_CACHE_ASYNC_OPTIONS_TYPE): DynamicModule {
    return this.forRootAsync(options);
  }

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
