import { Controller, Get, HttpCode, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { RedisCacheHealthIndicator } from 'nestjs-tiered-cache';
import { Public } from '../auth/auth.decorators.js';
import { EventLoopWatch, LIVENESS_MAX_LOOP_DELAY_MS } from './event-loop-watch.js';
import { type Readiness, ReadinessCheck } from './readiness.js';

/** A ping that takes longer than this counts as PostgreSQL not answering. */
const DATABASE_PING_TIMEOUT_MS = 1_000;

/**
 * Probes, public and quiet in the access log.
 * - `GET /health/live` (Kubernetes `livenessProbe`): the process answers and its event loop is not stuck.
 *   Never looks at PostgreSQL or Redis: their outages are not cured by a restart.
 * - `GET /health/ready` (`readinessProbe`): can this instance answer polls (see {@link ReadinessCheck}).
 * - `GET /health` (for people): `200` while PostgreSQL answers, whatever Redis does (a Redis outage is
 *   degraded service, reported in the body); `503` when PostgreSQL does not answer.
 */
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly cache: RedisCacheHealthIndicator,
    private readonly loop: EventLoopWatch,
    private readonly readiness: ReadinessCheck,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.database.pingCheck('database').withTimeout(DATABASE_PING_TIMEOUT_MS),
      () => this.cache.isHealthy('cache'),
    ]);
  }

  @Get('live')
  @HttpCode(200)
  live(): { status: 'up'; eventLoopDelayMs: { p99: number; max: number } } {
    const { p99Ms, maxMs } = this.loop.sample();
    const eventLoopDelayMs = { p99: p99Ms, max: maxMs };
    if (p99Ms > LIVENESS_MAX_LOOP_DELAY_MS) {
      throw new ServiceUnavailableException({ status: 'down', eventLoopDelayMs, message: `event-loop delay p99 above ${LIVENESS_MAX_LOOP_DELAY_MS} ms` });
    }
    return { status: 'up', eventLoopDelayMs };
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<Readiness> {
    const readiness = await this.readiness.check();
    void reply.code(readiness.ready ? 200 : 503);
    return readiness;
  }
}
