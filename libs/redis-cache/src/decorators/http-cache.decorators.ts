import { type ExecutionContext, SetMetadata } from '@nestjs/common';
import { REDIS_CACHE_METADATA } from '../nest/redis-cache.constants.js';

/** A TTL in seconds, or one computed from the request and the response body. */
export type HttpCacheTtl = number | ((context: ExecutionContext, body: unknown) => number);

/** A key replacing method + path + query (the caller's scope is still appended), or one computed per request. */
export type HttpCacheKey = string | ((context: ExecutionContext) => string);

/** Tags of a cached response, fixed or computed per request; `invalidateTags` makes it a miss. */
export type HttpCacheTags = readonly string[] | ((context: ExecutionContext) => readonly string[]);

/**
 * TTL of the responses of a route or controller cached by {@link CacheInterceptor}.
 *
 * @example @CacheTTL(60) or @CacheTTL((ctx, body) => ((body as Job).status === 'completed' ? 3600 : 30))
 */
export const CacheTTL = (ttl: HttpCacheTtl): MethodDecorator & ClassDecorator => SetMetadata(REDIS_CACHE_METADATA.ttl, ttl);

/**
 * Replaces the derived key (method + normalised path + sorted query). The caller's scope is always added,
 * so a custom key can never share an entry across principals.
 *
 * @example @CacheKey((ctx) => `report:${ctx.switchToHttp().getRequest().params.year}`)
 */
export const CacheKey = (key: HttpCacheKey): MethodDecorator & ClassDecorator => SetMetadata(REDIS_CACHE_METADATA.key, key);

/**
 * Tags of the cached response: `cache.invalidateTags([tag])` turns every response carrying it into a miss.
 *
 * @example @CacheTags((ctx) => [`tenant:${ctx.switchToHttp().getRequest().params.tenant}`])
 */
export const CacheTags = (tags: HttpCacheTags): MethodDecorator & ClassDecorator => SetMetadata(REDIS_CACHE_METADATA.tags, tags);

/** Never cache this route (it answers `X-Cache: BYPASS`), even when its controller is cached. */
export const NoCache = (): MethodDecorator & ClassDecorator => SetMetadata(REDIS_CACHE_METADATA.noCache, true);

/**
 * A fast path for {@link CacheFromEntry}: the entry a request would be answered from, and who may see it.
 * When both are given and the entry is in the cache (a fresh hit, not a cached "not found") and `allow`
 * says yes, the interceptor answers from it without running the handler — its pipes, parameter decorators
 * and body. Anything else (no key, a miss, `allow` says no) runs the handler as usual, so the handler stays
 * the authority for every answer that is not a plain, permitted hit.
 */
export interface CacheFromEntryOptions {
  /** The cache key of the entry (as `CacheService.key` builds it), or `undefined` to run the handler. */
  entryKey: (context: ExecutionContext) => string | undefined;
  /** Whether this request may be answered with `value`; guards have run, so the principal is known. */
  allow: (context: ExecutionContext, value: unknown) => boolean;
}

/**
 * The handler returns a {@link CachedResource} (read through the cache, e.g. by {@link CachedRepository}):
 * the interceptor does not look up or store a response entry; it derives `X-Cache`, `ETag`, `Age` and `304`
 * from the handler's entry. The handler runs on every request, so per-request authorisation stays in it —
 * unless `options` give the entry's key and an access check (see {@link CacheFromEntryOptions}).
 *
 * @example
 * @Get(':id') @CacheFromEntry({ entryKey: (ctx) => jobKeyOf(ctx), allow: (ctx, job) => mayRead(ctx, job) })
 */
export const CacheFromEntry = (options?: CacheFromEntryOptions): MethodDecorator & ClassDecorator =>
  SetMetadata(REDIS_CACHE_METADATA.fromEntry, options ?? true);
