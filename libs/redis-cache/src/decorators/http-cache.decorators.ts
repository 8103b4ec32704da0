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
 * The handler returns a {@link CachedResource} (read through the cache, e.g. by `CachedRepository`): the
 * interceptor does not look up or store a response entry; it derives `X-Cache`, `ETag`, `Age` and `304` from
 * the handler's entry, after the guards ran. The handler runs on every request, so per-request authorisation
 * stays in it. `@CacheFastPath` adds an answer before Nest's pipeline for permitted hits.
 *
 * @example
 * @Get(':id') @CacheFromEntry()
 * async get(@Param('id') id: number) { const job = await this.jobs.findOneById(id); if (!job) throw new NotFoundException(); return job; }
 */
export const CacheFromEntry = (): MethodDecorator & ClassDecorator => SetMetadata(REDIS_CACHE_METADATA.fromEntry, true);
