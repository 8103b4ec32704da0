import { Inject, Injectable, type OnApplicationShutdown, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { CacheEngine } from '../engine/cache-engine.js';
import type { CacheInstrumentation } from '../engine/cache.types.js';
import { InstrumentationHub } from './instrumentation-hub.js';
import { MODULE_OPTIONS_TOKEN } from './redis-cache.module-definition.js';
import type { RedisCacheModuleOptions } from './redis-cache-module-options.interface.js';

/**
 * The cache as a Nest provider, injected by class: `constructor(private readonly cache: CacheService)`.
 * It is the {@link CacheEngine} (every method documented there) with the Nest lifecycle: it connects on
 * module init — never failing the boot when Redis is down — and closes on shutdown.
 *
 * @example
 * const { value } = await this.cache.getOrLoad(this.cache.key('job', id), () => this.repo.find(id), { ttl: 30 });
 */
@Injectable()
export class CacheService extends CacheEngine implements OnModuleInit, OnModuleDestroy, OnApplicationShutdown {
  private readonly hub: InstrumentationHub;

  constructor(@Inject(MODULE_OPTIONS_TOKEN) options: RedisCacheModuleOptions) {
    const hub = new InstrumentationHub();
    if (options.instrumentation) hub.attach(options.instrumentation);
    super({ ...options, instrumentation: hub });
    this.hub = hub;
  }

  /**
   * Attaches a metrics observer after construction (e.g. {@link RedisCacheMetrics}); returns a detach function.
   */
  instrument(observer: CacheInstrumentation): () => void {
    return this.hub.attach(observer);
  }

  /** Connects to Redis (bounded by the connect timeout; starts degraded if Redis is unreachable). */
  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  /** Closes the Redis connection. */
  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  /** Closes the Redis connection (idempotent with {@link onModuleDestroy}). */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
