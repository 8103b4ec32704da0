import { REDIS_CACHE_METADATA } from '../nest/redis-cache.constants.js';
import {
  type CacheFastPathOptions, FAST_PATH_ROUTE_CONFIG, FASTIFY_ROUTE_CONFIG_METADATA, type FastPathMark, type FastPathRequest, type RouteHandler,
} from '../fast-path/fast-path.types.js';

/**
 * Answers fresh, permitted hits of this route from the in-process tier before Nest's pipeline runs — the
 * response `CacheInterceptor` gives for the same hit (`X-Cache: HIT`, `ETag`, `Age`, `304`, the handler's
 * `@Header()`s), with the entry's stored JSON as the body. Implies `@CacheFromEntry()`: the handler returns
 * the entry (`CachedRepository.findOneById`, or `CachedResource.from`) and the route must be under
 * `CacheInterceptor`.
 *
 * The library attaches the hook to this route in Fastify's route table (Nest's own route: its global prefix,
 * versioning and params; the mark travels in the route's Fastify config, so write `@RouteConfig()` below it), and only if every guard that applies to the route implements {@link FastPathGuard}:
 * otherwise the app refuses to start, naming the guard. A request is answered early only when every guard's
 * fast check admits it, the entry is a fresh L1 hit and `visible` says yes; anything else runs the pipeline
 * exactly as if there were no fast path. On Express there is no fast path (logged once at start).
 *
 * @example
 * @Get(':id') @CacheFastPath<PollRequest, Job>({ namespace: 'job', key: (req) => req.params.id, visible: (req, job) => canSee(req.user, job) })
 * get(@Param('id') id: string) { return this.jobs.findOneById(id); }
 */
export function CacheFastPath<R extends FastPathRequest = FastPathRequest, V = unknown>(options: CacheFastPathOptions<R, V>): MethodDecorator {
  return (_target, method, descriptor) => {
    const callback = descriptor.value as unknown as RouteHandler;
    const mark: FastPathMark = { options, method: String(method), callback };
    Reflect.defineMetadata(REDIS_CACHE_METADATA.fastPath, mark, callback);
    // Merged into the route's Fastify config (what Fastify's `onRoute` sees). A `@RouteConfig()` applied after
    // this decorator (written above it) replaces it: the app then refuses to start, saying so.
    const config = Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, callback) as Record<string, unknown> | undefined;
    Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, [FAST_PATH_ROUTE_CONFIG]: mark }, callback);
    Reflect.defineMetadata(REDIS_CACHE_METADATA.fromEntry, true, callback);
    return descriptor;
  };
}
