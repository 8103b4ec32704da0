import { type ExecutionContext, Logger } from '@nestjs/common';
import { CacheError } from '../engine/cache.errors.js';
import type { CacheScope, CacheScopeResolver } from './http-cache-options.interface.js';

/**
 * The caller's {@link CacheScope} for {@link CacheInterceptor}, from the configured resolver — which never
 * costs a request its answer: a resolver that throws, or returns something that is not a scope (a string,
 * `null` or `false`), makes the request bypass the cache (`false`), and the first such request of each route
 * logs one warning naming the route and the reason (later ones only answer `X-Cache: BYPASS`).
 */
export class RequestScope {
  private readonly logger = new Logger('RedisCache');
  /** Handlers already warned about; bounded by the app's routes. */
  private readonly warned = new Set<unknown>();

  constructor(private readonly resolver: CacheScopeResolver) {}

  /** The scope of `request` on the route of `context`; `false` when it cannot be derived. */
  of(context: ExecutionContext, request: unknown): CacheScope {
    let scope: unknown;
    try {
      scope = this.resolver(request);
    } catch (error) {
      // Our own errors' messages are written to be logged; an app's resolver's may hold a credential.
      const detail = error instanceof CacheError ? error.message : `${(error as Error)?.name ?? typeof error} (message not logged)`;
      return this.bypass(context, `the cache scope resolver threw ${detail}`);
    }
    if (typeof scope === 'string' || scope === null || scope === false) return scope;
    return this.bypass(context, `the cache scope resolver returned ${typeof scope}, not a string, null or false`);
  }

  private bypass(context: ExecutionContext, reason: string): false {
    const handler = context.getHandler();
    if (!this.warned.has(handler)) {
      this.warned.add(handler);
      this.logger.warn(`${context.getClass().name}.${handler.name}: responses are not cached for such requests (X-Cache: BYPASS): ${reason}`);
    }
    return false;
  }
}
