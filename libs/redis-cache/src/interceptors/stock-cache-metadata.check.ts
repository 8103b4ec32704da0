import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { CacheConfigError } from '../engine/cache.errors.js';
import { STOCK_CACHE_MANAGER_METADATA } from '../nest/redis-cache.constants.js';
import { CacheInterceptor } from './cache.interceptor.js';

/** What Nest keeps of the app's global interceptors (internal: read defensively). */
interface GlobalInterceptorsHost {
  container?: { applicationConfig?: { getGlobalInterceptors?(): unknown[]; getGlobalRequestInterceptors?(): Array<{ metatype?: unknown }> } };
}

/** Whether an interceptor as Nest holds it (a class or an instance) is ours. */
function isOurs(interceptor: unknown): boolean {
  if (interceptor instanceof CacheInterceptor) return true;
  return typeof interceptor === 'function' && (interceptor === CacheInterceptor || interceptor.prototype instanceof CacheInterceptor);
}

/** `@CacheTTL(1000)` → what to write instead, with our unit. */
function describeStock(kind: 'ttl' | 'key', value: unknown): string {
  if (kind === 'key') {
    return typeof value === 'string'
      ? `@CacheKey(${JSON.stringify(value)}) (ours appends the caller's scope to it)`
      : '@CacheKey(<function>) (ours takes (context) => string)';
  }
  return typeof value === 'number'
    ? `@CacheTTL(${value}) (milliseconds there; ours takes seconds: @CacheTTL(${value / 1000}))`
    : '@CacheTTL(<function>) (ours takes seconds, or (context, body) => seconds)';
}

/**
 * At start-up, finds routes that are under our {@link CacheInterceptor} — bound with `@UseInterceptors` on
 * the controller or the route, with `APP_INTERCEPTOR`, or with `app.useGlobalInterceptors` — and carry
 * `@nestjs/cache-manager`'s `@CacheTTL` or `@CacheKey`. Both libraries export decorators of those names;
 * ours reads only its own metadata, so a leftover stock `@CacheTTL(1000)` (milliseconds) would silently
 * leave the route on the default TTL. Start-up fails instead with a {@link CacheConfigError} that names each
 * route and what to write (the TTL converted to seconds).
 */
@Injectable()
export class StockCacheMetadataCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('RedisCache');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** Runs once the app's global interceptors are all registered (after every module's init). */
  onApplicationBootstrap(): void {
    const global = this.globalInterceptors().some(isOurs);
    const found: string[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as { name: string; prototype?: object } | undefined;
      const proto = controller?.prototype;
      if (!controller || !proto) continue;
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const handler = (proto as Record<string, unknown>)[name];
        if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const interceptors = [controller, handler].flatMap((target) => (Reflect.getMetadata(INTERCEPTORS_METADATA, target) as unknown[] | undefined) ?? []);
        if (!global && !interceptors.some(isOurs)) continue;
        const stock = (['ttl', 'key'] as const).flatMap((kind) => {
          const value: unknown = Reflect.getMetadata(STOCK_CACHE_MANAGER_METADATA[kind], handler) ?? Reflect.getMetadata(STOCK_CACHE_MANAGER_METADATA[kind], controller);
          return value === undefined ? [] : [describeStock(kind, value)];
        });
        if (stock.length > 0) found.push(`${controller.name}.${name}: ${stock.join(', ')}`);
      }
    }
    if (found.length > 0) {
      throw new CacheConfigError(
        `@nestjs/cache-manager's @CacheTTL/@CacheKey have no effect under nestjs-tiered-cache's CacheInterceptor, which reads ` +
          `its own: ${found.join('; ')}. Import CacheTTL and CacheKey from 'nestjs-tiered-cache' instead (TTLs in seconds).`,
      );
    }
  }

  private globalInterceptors(): unknown[] {
    const config = (this.moduleRef as unknown as GlobalInterceptorsHost).container?.applicationConfig;
    if (!config?.getGlobalInterceptors) {
      this.logger.warn('cannot read the global interceptors of this Nest version: routes under a global CacheInterceptor are not checked for @nestjs/cache-manager metadata');
      return [];
    }
    return [...config.getGlobalInterceptors(), ...(config.getGlobalRequestInterceptors?.() ?? []).map((wrapper) => wrapper.metatype)];
  }
}
