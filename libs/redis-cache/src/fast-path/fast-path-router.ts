import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost, ModuleRef, type NestContainer } from '@nestjs/core';
import type { Subscription } from 'rxjs';
import { CacheConfigError } from '../engine/cache.errors.js';
import { CacheService } from '../nest/cache.service.js';
import { engineOf } from '../nest/engine-of.js';
import { REDIS_CACHE_METADATA } from '../nest/redis-cache.constants.js';
import { type FastifyReplyLike, type FastifyRequestLike, FastPathResponder } from './fast-path-responder.js';
import { type FastPathRoute, resolveFastPathRoute } from './fast-path-route.js';
import { FAST_PATH_ROUTE_CONFIG, type FastPathMark, type FastPathStats } from './fast-path.types.js';

/** The route options Fastify hands its `onRoute` hooks (the parts used here). */
interface RouteOptionsLike {
  method: string | string[];
  url: string;
  config?: Record<string, unknown>;
  onRequest?: unknown;
}

type OnRequestHook = (request: FastifyRequestLike, reply: FastifyReplyLike, done: () => void) => void;

interface FastifyLike {
  addHook(name: 'onRoute', hook: (route: RouteOptionsLike) => void): unknown;
}

/**
 * Derives the HTTP fast path from Nest's own route table. When the HTTP adapter is set (before Nest
 * registers its routes), it adds a Fastify `onRoute` hook; for each route whose handler carries
 * `@CacheFastPath` (Nest copies handler metadata onto the function it registers), it resolves the route's
 * guards and interceptors as Nest does (`resolveFastPathRoute`: a guard without a fast check stops the start)
 * and adds a route-level `onRequest` hook running a {@link FastPathResponder}. Fastify's router matches, so
 * the global prefix, versioning and params stay Nest's. On another adapter (Express) there is no fast path:
 * marked routes run the full pipeline, said once at start.
 */
@Injectable()
export class FastPathRouter implements OnModuleInit {
  private readonly logger = new Logger('RedisCache');
  private readonly routes: FastPathRoute[] = [];
  private readonly counts = { answered: 0, handedOn: 0, checkErrors: 0 };
  private nextLoggedError = 1;
  private readonly subscription: Subscription;
  private fastify = false;

  constructor(
    adapterHost: HttpAdapterHost,
    private readonly moduleRef: ModuleRef,
    private readonly cache: CacheService,
    private readonly discovery: DiscoveryService,
  ) {
    // Replayed at once when the adapter is already set (NestFactory), or emitted when a testing module's
    // application sets it: both before the routes are registered.
    this.subscription = adapterHost.init$.subscribe(() => {
      const adapter = adapterHost.httpAdapter;
      if (adapter?.getType() !== 'fastify') return;
      this.fastify = true;
      adapter.getInstance<FastifyLike>().addHook('onRoute', (route) => this.onRoute(route));
    });
  }

  /** The fast path's routes and counters. */
  stats(): FastPathStats {
    return { routes: this.routes.map((r) => r.label), ...this.counts };
  }

  /**
   * Once the routes are registered: on Fastify, refuses to start if a marked handler got no hook (its mark
   * was replaced in the route config); on another adapter, says once that marked routes run the full pipeline.
   */
  onModuleInit(): void {
    this.subscription.unsubscribe();
    const marked = this.discovery.getControllers().flatMap((wrapper) => {
      const proto = (wrapper.metatype as { prototype?: Record<string, unknown> } | null)?.prototype ?? {};
      return Object.getOwnPropertyNames(proto).filter((name) => typeof proto[name] === 'function'
        && Reflect.hasMetadata(REDIS_CACHE_METADATA.fastPath, proto[name] as object)).map((name) => `${wrapper.name}.${name}`);
    });
    if (!this.fastify) {
      if (marked.length > 0) this.logger.log(`@CacheFastPath: no fast path on this HTTP adapter (Fastify only); ${marked.join(', ')} run the full pipeline`);
      return;
    }
    const lost = marked.filter((handler) => !this.routes.some((route) => route.label.endsWith(`(${handler})`)));
    if (lost.length > 0) {
      throw new CacheConfigError(`@CacheFastPath on ${lost.join(', ')}: the mark is gone from the route's Fastify config — a @RouteConfig() applied after it replaced it (write @RouteConfig() below @CacheFastPath)`);
    }
  }

  private onRoute(route: RouteOptionsLike): void {
    const mark = route.config?.[FAST_PATH_ROUTE_CONFIG] as FastPathMark | undefined;
    if (mark === undefined || ![route.method].flat().includes('GET')) return;
    const container = (this.moduleRef as unknown as { container: NestContainer }).container;
    const resolved = resolveFastPathRoute(container, mark, 'GET', route.url);
    const responder = new FastPathResponder(resolved, engineOf(this.cache), {
      answered: () => { this.counts.answered += 1; },
      handedOn: () => { this.counts.handedOn += 1; },
      checkFailed: (failed, error) => this.checkFailed(failed, error),
    });
    const hook: OnRequestHook = (request, reply, done) => responder.handle(request, reply, done);
    route.onRequest = [...[route.onRequest ?? []].flat(), hook];
    this.routes.push(resolved);
    const skipped = resolved.otherInterceptors.length > 0 ? `; not run on its hits: ${resolved.otherInterceptors.join(', ')}` : '';
    this.logger.log(`fast path on ${resolved.label}, guarded by ${resolved.guards.map((g) => g.constructor.name).join(', ') || 'no guard'}${skipped}`);
  }

  private checkFailed(route: FastPathRoute, error: unknown): void {
    this.counts.checkErrors += 1;
    // Every one is counted; the 1st, 10th, 100th… is logged, so a flood of bad requests cannot flood the log.
    if (this.counts.checkErrors < this.nextLoggedError) return;
    this.nextLoggedError *= 10;
    this.logger.warn(`fast path on ${route.label}: a check threw ${error instanceof Error ? error.name : typeof error}; `
      + `handed on to the pipeline (${this.counts.checkErrors} so far)`);
  }
}
