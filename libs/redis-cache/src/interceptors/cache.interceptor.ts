import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { from, lastValueFrom, map, type Observable } from 'rxjs';
import type { HttpCacheKey, HttpCacheTags, HttpCacheTtl } from '../decorators/http-cache.decorators.js';
import { CacheService } from '../nest/cache.service.js';
import { REDIS_CACHE_METADATA } from '../nest/redis-cache.constants.js';
import { MODULE_OPTIONS_TOKEN } from '../nest/redis-cache.module-definition.js';
import type { RedisCacheModuleOptions } from '../nest/redis-cache-module-options.interface.js';
import { CachedResource } from './cached-resource.js';
import { defaultCacheScope } from './default-cache-scope.js';
import { entryEtag, ifNoneMatchMatches } from './etag.util.js';
import { httpCacheKey } from './http-cache-key.util.js';
import type { CacheScope } from './http-cache-options.interface.js';
import { HttpExchange, isStorableBody } from './http-exchange.js';
import { RequestScope } from './request-scope.js';

/** What a response entry holds: the body and its ETag. Headers set by `@Header()` are re-applied by Nest. */
interface StoredResponse {
  b: unknown;
  e: string;
}

/** The engine's default TTL, for a route without `@CacheTTL` in an app without `defaultTtlSeconds`. */
const DEFAULT_TTL_SECONDS = 30;

/** `X-Cache` values. */
type CacheStatus = 'HIT' | 'MISS' | 'STALE' | 'BYPASS';

/**
 * Caches `GET`/`HEAD` responses of a controller or route, per caller (see {@link HttpCacheOptions.scope}):
 * key = method + normalised path + sorted query + scope, or `@CacheKey` + scope. Concurrent misses of one key
 * run the handler once. Answers `X-Cache: HIT|MISS|STALE|BYPASS`, `ETag`, `Age`, and `304` from the entry
 * for a matching `If-None-Match`. Never stores an error, a status other than 200, a response with
 * `Set-Cookie` or `Cache-Control: no-store`, nor a `Cache-Control: private` one in the shared (anonymous)
 * scope — `private` forbids *shared* caches, and a per-principal entry is that principal's private cache.
 * The same on Express and Fastify.
 *
 * @example
 * @Controller('reports') @UseInterceptors(CacheInterceptor) @CacheTTL(60)
 * export class ReportsController { @Get(':year') get(@Param('year') year: string) { … } }
 */
@Injectable()
export class CacheInterceptor implements NestInterceptor {
  private readonly scopes: RequestScope;

  constructor(
    private readonly cache: CacheService,
    private readonly reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(MODULE_OPTIONS_TOKEN) private readonly options: RedisCacheModuleOptions,
  ) {
    this.scopes = new RequestScope(options.http?.scope ?? defaultCacheScope);
  }

  /** Nest's interceptor hook. */
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const exchange = this.exchange(context);
    const method = exchange.method();
    if (method !== 'GET' && method !== 'HEAD') return next.handle();
    if (this.meta<boolean>(context, REDIS_CACHE_METADATA.noCache)) {
      exchange.setHeader('X-Cache', 'BYPASS');
      return next.handle();
    }
    if (this.meta<boolean>(context, REDIS_CACHE_METADATA.fromEntry)) {
      // The handler reads its entry (after the guards ran): answer from it, store nothing of our own.
      return next.handle().pipe(map((body) => this.fromEntry(exchange, body, 'BYPASS')));
    }
    const scope: CacheScope = this.scopes.of(context, exchange.request);
    if (scope === false) {
      exchange.setHeader('X-Cache', 'BYPASS');
      return next.handle();
    }
    const customKey = this.meta<HttpCacheKey>(context, REDIS_CACHE_METADATA.key);
    const key = httpCacheKey({
      method, url: exchange.url(), scope, customKey: typeof customKey === 'function' ? customKey(context) : customKey,
    });
    return from(this.throughCache(context, next, exchange, key, scope === null));
  }

  private async throughCache(context: ExecutionContext, next: CallHandler, exchange: HttpExchange, key: string, shared: boolean): Promise<unknown> {
    let own: { body: unknown } | undefined;
    const tags = this.meta<HttpCacheTags>(context, REDIS_CACHE_METADATA.tags);
    const result = await this.cache.getOrLoad<StoredResponse>(key, async () => {
      const body: unknown = await lastValueFrom(next.handle(), { defaultValue: undefined });
      if (body instanceof CachedResource || !this.storable(exchange, body, shared)) {
        own = { body };
        return undefined;
      }
      return { b: body, e: entryEtag(key, undefined, body) };
    }, { ttl: (stored) => this.ttlFor(context, stored.b), tags: typeof tags === 'function' ? tags(context) : tags });
    if (own) return this.fromEntry(exchange, own.body, 'BYPASS');
    if (result.value === undefined) {
      // Joined another request's load that was not storable: this request runs its own handler.
      return this.fromEntry(exchange, await lastValueFrom(next.handle(), { defaultValue: undefined }), 'BYPASS');
    }
    const status: CacheStatus = result.source === 'loader' ? 'MISS' : result.source === 'stale' ? 'STALE' : 'HIT';
    return this.answer(exchange, status, result.value.e, result.value.b, status === 'MISS' ? undefined : result.storedAt);
  }

  /** Headers (and a 304) from a {@link CachedResource}; anything else passes through with `fallback`. */
  private fromEntry(exchange: HttpExchange, body: unknown, fallback: CacheStatus): unknown {
    if (!(body instanceof CachedResource)) {
      exchange.setHeader('X-Cache', fallback);
      return body;
    }
    const entry = body as CachedResource<unknown>;
    const status: CacheStatus = entry.source === 'loader' ? 'MISS' : entry.source === 'stale' ? 'STALE' : 'HIT';
    return this.answer(exchange, status, entryEtag(entry.key, entry.version, entry.value), entry.value, status === 'MISS' ? undefined : entry.storedAt);
  }

  private answer(exchange: HttpExchange, status: CacheStatus, etag: string, body: unknown, storedAt: number | undefined): unknown {
    exchange.setHeader('X-Cache', status);
    exchange.setHeader('ETag', etag);
    if (storedAt !== undefined) exchange.setHeader('Age', String(Math.max(0, Math.floor((Date.now() - storedAt) / 1000))));
    if (ifNoneMatchMatches(exchange.requestHeader('if-none-match'), etag)) {
      exchange.setStatus(304);
      return undefined;
    }
    return body;
  }

  private storable(exchange: HttpExchange, body: unknown, shared: boolean): boolean {
    if (exchange.statusCode() !== 200 || !isStorableBody(body)) return false;
    if (exchange.responseHeader('set-cookie') !== undefined) return false;
    const header = exchange.responseHeader('cache-control');
    const cacheControl = (Array.isArray(header) ? header.join(',') : typeof header === 'string' ? header : '').toLowerCase();
    if (/(^|[\s,])no-store($|[\s,=])/.test(cacheControl)) return false;
    return !(shared && /(^|[\s,])private($|[\s,=])/.test(cacheControl));
  }

  private ttlFor(context: ExecutionContext, body: unknown): number {
    const ttl = this.meta<HttpCacheTtl>(context, REDIS_CACHE_METADATA.ttl);
    if (typeof ttl === 'function') return ttl(context, body);
    return ttl ?? this.options.http?.ttlSeconds ?? this.options.defaultTtlSeconds ?? DEFAULT_TTL_SECONDS;
  }

  private meta<T>(context: ExecutionContext, key: string): T | undefined {
    return this.reflector.getAllAndOverride<T | undefined>(key, [context.getHandler(), context.getClass()]);
  }

  private exchange(context: ExecutionContext): HttpExchange {
    const http = context.switchToHttp();
    return new HttpExchange(this.adapterHost, http.getRequest(), http.getResponse());
  }
}
