import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { RedisCacheHealthIndicator } from '@app/redis-cache';
import { Public } from '../auth/auth.decorators.js';

/** A ping that takes longer than this counts as PostgreSQL not answering. */
const DATABASE_PING_TIMEOUT_MS = 1_000;

/**
 * `GET /health`: `200` while PostgreSQL answers, whatever Redis does (a Redis outage is degraded service,
 * reported in the body); `503` when PostgreSQL does not answer. Public, for probes.
 */
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly cache: RedisCacheHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.database.pingCheck('database').withTimeout(DATABASE_PING_TIMEOUT_MS),
      () => this.cache.isHealthy('cache'),
    ]);
  }
}
