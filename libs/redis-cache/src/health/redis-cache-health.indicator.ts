import { Inject, Injectable } from '@nestjs/common';
import type { HealthIndicatorService } from '@nestjs/terminus';
import { CacheConfigError } from '../engine/cache.errors.js';
import { CacheService } from '../nest/cache.service.js';
import { REDIS_CACHE_HEALTH_CACHE_MS, REDIS_CACHE_HEALTH_TIMEOUT_MS } from '../nest/redis-cache.constants.js';
import { MODULE_OPTIONS_TOKEN } from '../nest/redis-cache.module-definition.js';
import type { RedisCacheModuleOptions } from '../nest/redis-cache-module-options.interface.js';

/** What the cache reports about itself in a health check (a type, not an interface: Terminus wants a record). */
export type RedisCacheHealthDetails = {
  /** A Redis URL was configured. */
  redisEnabled: boolean;
  /** The last Redis call (or connection event) succeeded. */
  redisAvailable: boolean;
  /** State of the circuit breaker in front of Redis: `closed`, `open` or `half-open`. */
  circuit: string;
  /** `ok`; `degraded` while Redis is down or the circuit is not closed; `memory-only` without Redis. */
  state: 'ok' | 'degraded' | 'memory-only';
};

/**
 * A Terminus indicator result under `Key` (structurally Terminus' `HealthIndicatorResult`, declared here so
 * that the library's types do not require `@nestjs/terminus` to be installed).
 */
export type RedisCacheHealthResult<Key extends string> = Record<Key, { status: 'up' | 'degraded' | 'down'; [detail: string]: unknown }>;

/**
 * Terminus indicator for the cache. A Redis outage is degraded service, not an outage — the cache falls back
 * to memory — so {@link isHealthy} reports `up` with `state: 'degraded'` when Redis is down; use
 * {@link isHealthyStrict} where Redis being down must fail the check. Checks are bounded by a timeout that
 * clears its timer and the result is reused for a second.
 *
 * `@nestjs/terminus` is an optional peer dependency: it is loaded on the first check, so an app without it
 * can still import and use everything else (a check then fails with a {@link CacheConfigError}).
 *
 * @example
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.cache.isHealthy('cache')]); }
 */
@Injectable()
export class RedisCacheHealthIndicator {
  private terminus?: Promise<HealthIndicatorService>;

  constructor(
    private readonly cache: CacheService,
    @Inject(MODULE_OPTIONS_TOKEN) private readonly options: RedisCacheModuleOptions,
  ) {}

  private details(): RedisCacheHealthDetails {
    const stats = this.cache.getStats();
    // An open (or probing) breaker means reads are served from memory and the database: degraded, not down.
    const state = !stats.redisEnabled ? 'memory-only' : stats.redisAvailable && stats.circuit === 'closed' ? 'ok' : 'degraded';
    return { redisEnabled: stats.redisEnabled, redisAvailable: stats.redisAvailable, circuit: stats.circuit, state };
  }

  // One service per indicator: its `cacheFor` result cache is per instance, so probes share it.
  private health(): Promise<HealthIndicatorService> {
    this.terminus ??= import('@nestjs/terminus').then(
      ({ HealthIndicatorService }) => new HealthIndicatorService(),
      (error: unknown) => {
        this.terminus = undefined;
        throw Object.assign(new CacheConfigError('RedisCacheHealthIndicator needs @nestjs/terminus: install it to use health checks'), { cause: error });
      },
    );
    return this.terminus;
  }

  /** `up` with {@link RedisCacheHealthDetails}; `state` is `degraded` while Redis is down. */
  async isHealthy<const Key extends string>(key: Key): Promise<RedisCacheHealthResult<Key>> {
    const health = await this.health();
    return health
      .check(key)
      .attempt(() => this.details())
      .withTimeout(this.options.healthTimeoutMs ?? REDIS_CACHE_HEALTH_TIMEOUT_MS)
      .cacheFor(REDIS_CACHE_HEALTH_CACHE_MS);
  }

  /** `down` unless Redis is configured and available (for deployments where Redis is required). */
  async isHealthyStrict<const Key extends string>(key: Key): Promise<RedisCacheHealthResult<Key>> {
    const session = (await this.health()).check(key);
    const details = this.details();
    return details.state === 'ok' ? session.up(details) : session.down(details);
  }
}
