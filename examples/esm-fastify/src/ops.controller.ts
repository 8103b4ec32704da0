import { Controller, Get, Header, type OnModuleInit } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { CacheService, RedisCacheHealthIndicator } from 'nestjs-tiered-cache';
import { RedisCacheMetrics } from 'nestjs-tiered-cache/metrics';
import { register } from 'prom-client';

/** Health (Terminus) and Prometheus metrics, in prom-client's global registry (the default). */
@Controller()
export class OpsController implements OnModuleInit {
  constructor(
    private readonly health: HealthCheckService,
    private readonly cacheHealth: RedisCacheHealthIndicator,
    private readonly cache: CacheService,
  ) {}

  async onModuleInit(): Promise<void> {
    await RedisCacheMetrics.register(this.cache); // no `registry`: prom-client's global `register`
  }

  /** `up` with `state: degraded` while Redis is down: the app still answers, from the database. */
  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.cacheHealth.isHealthy('cache')]);
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  metrics(): Promise<string> {
    return register.metrics();
  }
}
