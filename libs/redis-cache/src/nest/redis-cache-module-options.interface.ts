import type { CacheEngineOptions } from '../engine/cache.types.js';
import type { HttpCacheOptions } from '../interceptors/http-cache-options.interface.js';

/** Options of `RedisCacheModule.forRoot` / `forRootAsync`: the engine's options (see {@link CacheEngineOptions}). */
export interface RedisCacheModuleOptions extends CacheEngineOptions {
  /** Time bound of {@link RedisCacheHealthIndicator} checks in ms (default 1000). */
  healthTimeoutMs?: number;
  /** Behaviour of {@link CacheInterceptor}: the caller's scope, the default TTL of responses. */
  http?: HttpCacheOptions;
}
