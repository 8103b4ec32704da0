import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { CacheConfigError } from '../engine/cache.errors.js';
import { CacheService } from '../nest/cache.service.js';
import { REDIS_CACHE_METADATA } from '../nest/redis-cache.constants.js';
import type { CacheEvictOptions, MethodCacheOptions, MethodKeyParts } from './method-cache.options.js';

type AnyMethod = (...args: unknown[]) => unknown;
type AnyOptions = MethodCacheOptions<unknown[], unknown>;

const WRAPPED = Symbol('redis-cache:wrapped');

/**
 * Finds provider methods decorated with `@Cacheable`, `@CachePut` or `@CacheEvict` when the module
 * initialises, and replaces them *on the instance* with wrappers bound to this app's {@link CacheService}
 * (so two apps in one process never share a cache through a global). Request-scoped providers are skipped
 * (their instances do not exist yet) and a warning names them.
 *
 * On a controller the decorators could not take effect: Nest binds route handlers before `onModuleInit`, so
 * a replaced method would never be called. Rather than cache nothing in silence, start-up fails with a
 * {@link CacheConfigError} naming the method (use `CacheInterceptor` on routes, or move the method to a
 * provider).
 */
@Injectable()
export class MethodCacheExplorer implements OnModuleInit {
  private readonly logger = new Logger('RedisCache');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly cache: CacheService,
  ) {}

  /** Wraps every decorated method of every static provider and controller. */
  onModuleInit(): void {
    this.refuseControllers();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string | symbol, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance) as object | null;
      if (!proto) continue;
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const original = instance[name];
        if (typeof original !== 'function' || (original as { [WRAPPED]?: boolean })[WRAPPED]) continue;
        const wrapped = this.wrap(original as AnyMethod, instance);
        if (!wrapped) continue;
        if (!wrapper.isDependencyTreeStatic()) {
          this.logger.warn(`@Cacheable/@CachePut/@CacheEvict ignored on request-scoped ${wrapper.name}.${name}`);
          continue;
        }
        for (const key of Reflect.getMetadataKeys(original)) Reflect.defineMetadata(key, Reflect.getMetadata(key, original), wrapped);
        Object.defineProperty(wrapped, WRAPPED, { value: true });
        instance[name] = wrapped;
      }
    }
  }

  private refuseControllers(): void {
    const misplaced: string[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const proto = (wrapper.metatype as { prototype?: object } | undefined)?.prototype;
      if (!proto) continue;
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const method = (proto as Record<string, unknown>)[name];
        if (typeof method === 'function' && hasMethodCacheMetadata(method)) misplaced.push(`${wrapper.name}.${name}`);
      }
    }
    if (misplaced.length > 0) {
      throw new CacheConfigError(
        `@Cacheable/@CachePut/@CacheEvict cannot apply to controller methods (${misplaced.join(', ')}): Nest binds route ` +
          'handlers before the cache can wrap them. Cache the route with @UseInterceptors(CacheInterceptor) and @CacheTTL/@CacheKey, ' +
          'or put the decorator on a provider method the controller calls.',
      );
    }
  }

  private wrap(original: AnyMethod, instance: object): AnyMethod | undefined {
    const cacheable = Reflect.getMetadata(REDIS_CACHE_METADATA.cacheable, original) as AnyOptions | undefined;
    const put = Reflect.getMetadata(REDIS_CACHE_METADATA.cachePut, original) as AnyOptions | undefined;
    const evict = Reflect.getMetadata(REDIS_CACHE_METADATA.cacheEvict, original) as CacheEvictOptions<unknown[]> | undefined;
    if (!cacheable && !put && !evict) return undefined;
    const cache = this.cache;
    const keyOf = (o: { namespace: string; key?: (...a: unknown[]) => MethodKeyParts }, args: unknown[]): string =>
      cache.key(o.namespace, ...parts(o.key ? o.key(...args) : (args as Array<string | number>)));

    const run = async (args: unknown[]): Promise<unknown> => {
      if (!cacheable || (cacheable.condition && !cacheable.condition(...args))) return original.apply(instance, args);
      let own: { result: unknown } | undefined;
      const found = await cache.getOrLoad(keyOf(cacheable, args), async () => {
        const result = await original.apply(instance, args);
        own = { result };
        return cacheable.unless?.(result, ...args) ? undefined : result;
      }, { ttl: cacheable.ttl, version: cacheable.version, tags: cacheable.tags?.(...args) });
      if (own) return own.result;
      // Joined a concurrent call whose result was not cacheable: run our own.
      return found.value === undefined ? original.apply(instance, args) : found.value;
    };

    return async function cachedMethod(...args: unknown[]): Promise<unknown> {
      if (evict?.beforeInvocation) await evictFor(cache, evict, args, keyOf);
      const result = await run(args);
      if (put && !(put.condition && !put.condition(...args)) && result !== undefined && !put.unless?.(result, ...args)) {
        const ttl = typeof put.ttl === 'function' ? put.ttl(result) : put.ttl;
        await cache.set(keyOf(put, args), result, { ttlSeconds: ttl, version: put.version?.(result), tags: put.tags?.(...args) });
      }
      if (evict && !evict.beforeInvocation) await evictFor(cache, evict, args, keyOf);
      return result;
    };
  }
}

function hasMethodCacheMetadata(method: object): boolean {
  const { cacheable, cachePut, cacheEvict } = REDIS_CACHE_METADATA;
  return [cacheable, cachePut, cacheEvict].some((key) => Reflect.getMetadata(key, method) !== undefined);
}

function parts(value: MethodKeyParts): Array<string | number> {
  return Array.isArray(value) ? [...(value as Array<string | number>)] : [value as string | number];
}

async function evictFor(
  cache: CacheService,
  options: CacheEvictOptions<unknown[]>,
  args: unknown[],
  keyOf: (o: { namespace: string; key?: (...a: unknown[]) => MethodKeyParts }, args: unknown[]) => string,
): Promise<void> {
  if (options.allEntries) await cache.deleteByPrefix(`${options.namespace}:`);
  if (options.keys) {
    const keys = options.keys(...args);
    // A list of lists is several keys; a flat list is one key's parts.
    const list = Array.isArray(keys) && keys.some((k) => Array.isArray(k)) ? (keys as MethodKeyParts[]) : [keys as MethodKeyParts];
    await Promise.all(list.map((k) => cache.delete(keyOf({ namespace: options.namespace, key: () => k }, args))));
  }
  const tags = options.tags?.(...args);
  if (tags && tags.length > 0) await cache.invalidateTags(tags);
}
