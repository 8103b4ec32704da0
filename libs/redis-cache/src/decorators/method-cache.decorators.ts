import { SetMetadata } from '@nestjs/common';
import { REDIS_CACHE_METADATA } from '../nest/redis-cache.constants.js';
import type { CacheEvictOptions, MethodCacheOptions } from './method-cache.options.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the decorators accept any method signature */

/**
 * Caches a provider method's result under `namespace` + key from its arguments: later calls with the same
 * key return the cached result (a copy) without running the method; concurrent calls run it once.
 * Results that are `undefined` are not cached. Works on async and sync methods (a sync method becomes async).
 * Wired at bootstrap by `RedisCacheModule`; the method body is untouched. Providers only: on a controller
 * method start-up fails with `E_CACHE_CONFIG` (Nest binds routes first; use `CacheInterceptor` there).
 *
 * @example
 * @Cacheable({ namespace: 'user', key: (id: number) => id, ttl: 60, unless: (u) => u === null })
 * findUser(id: number): Promise<User | null> { … }
 */
export const Cacheable = <Args extends any[] = any[], Result = any>(options: MethodCacheOptions<Args, Result>): MethodDecorator =>
  SetMetadata(REDIS_CACHE_METADATA.cacheable, options);

/**
 * Always runs the method and writes its result under `namespace` + key (versioned if `version` is given),
 * e.g. on an update method so that the next `@Cacheable` read is a hit with the new value.
 *
 * @example @CachePut({ namespace: 'user', key: (id: number) => id }) rename(id: number, name: string) { … }
 */
export const CachePut = <Args extends any[] = any[], Result = any>(options: MethodCacheOptions<Args, Result>): MethodDecorator =>
  SetMetadata(REDIS_CACHE_METADATA.cachePut, options);

/**
 * Evicts keys, tags or the whole namespace after the method succeeded (or before it ran, with
 * `beforeInvocation`). A method that throws evicts nothing unless `beforeInvocation` is set.
 *
 * @example @CacheEvict({ namespace: 'user', keys: (id: number) => id, tags: (id) => [`user:${id}`] }) remove(id: number) { … }
 */
export const CacheEvict = <Args extends any[] = any[]>(options: CacheEvictOptions<Args>): MethodDecorator =>
  SetMetadata(REDIS_CACHE_METADATA.cacheEvict, options);
