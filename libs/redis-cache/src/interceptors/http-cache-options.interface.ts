/**
 * Who a cached response belongs to: a string names the principal (hashed before it enters a key), `null`
 * marks a response every caller may share (an anonymous request), `false` means "do not cache this request".
 */
export type CacheScope = string | null | false;

/** Computes the {@link CacheScope} of a request (the raw Express or Fastify request). */
export type CacheScopeResolver = (request: unknown) => CacheScope;

/** How {@link CacheInterceptor} caches responses; part of `RedisCacheModule.forRoot({ http })`. */
export interface HttpCacheOptions {
  /**
   * The caller's scope. Default {@link defaultCacheScope}: `request.user` if a guard set one, else a hash
   * of the `Authorization` header, else — with a `Cookie` header — no caching, else shared. Give your own
   * when your guard stores the principal elsewhere (e.g. `(req) => req.principal?.id ?? null`).
   */
  scope?: CacheScopeResolver;
  /** TTL of cached responses when the route has no `@CacheTTL` (default: the engine's `defaultTtlSeconds`). */
  ttlSeconds?: number;
}
