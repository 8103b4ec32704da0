import { Controller, Get, Header, type OnModuleInit } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { CacheService, RedisCacheHealthIndicator } from 'nestjs-tiered-cache';
import { RedisCacheMetrics } from 'nestjs-tiered-cache/metrics';
import { Registry } from 'prom-client';

/** Health (Terminus), Prometheus metrics and the cache's own counters. */
@Controller()
export class OpsController implements OnModuleInit {
  private readonly registry = new Registry();

  constructor(
    private readonly health: HealthCheckService,
    private readonly cacheHealth: RedisCacheHealthIndicator,
    private readonly cache: CacheService,
  ) {}

  /** Metrics registration is async (it loads prom-client) and goes to this registry, not the global one. */
  async onModuleInit(): Promise<void> {
    await RedisCacheMetrics.register(this.cache, { registry: this.registry });
  }

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.cacheHealth.isHealthy('cache')]);
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  @Get('stats')
  stats() {
    const { hits, misses, loads, redisAvailable } = this.cache.getStats();
    return { hits, misses, loads, redisAvailable };
  }
}
