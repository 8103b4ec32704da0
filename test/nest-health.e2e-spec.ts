import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { CacheService, RedisCacheHealthIndicator, RedisCacheModule } from 'nestjs-tiered-cache';
import { startNestApp } from './support/nest-test-app.js';
import { TestRedisServer } from './support/redis-server.js';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly cache: RedisCacheHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.cache.isHealthy('cache')]);
  }

  @Get('strict')
  @HealthCheck()
  strict() {
    return this.health.check([() => this.cache.isHealthyStrict('redis')]);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RedisCacheHealthIndicator (Terminus 12, test-owned Redis)', () => {
  let server: TestRedisServer;
  let started: Awaited<ReturnType<typeof startNestApp>>;

  beforeAll(async () => {
    server = await TestRedisServer.start();
    @Module({
      imports: [
        TerminusModule.forRoot(),
        RedisCacheModule.forRoot({
          isGlobal: true, redisUrl: server.url, keyPrefix: 'health:', commandTimeoutMs: 100, circuitBreaker: { failureThreshold: 2, cooldownMs: 60_000 },
        }),
      ],
      controllers: [HealthController],
    })
    class HealthAppModule {}
    started = await startNestApp(HealthAppModule, 'express');
  });
  afterAll(async () => {
    await started?.app.close();
    await server?.stop();
  });

  it('is up and ok with Redis, and reuses its result for a second (no probe storm)', async () => {
    const first = await started.http().get('/health');
    expect(first.status).toBe(200);
    expect(first.body.details.cache).toMatchObject({ status: 'up', state: 'ok', circuit: 'closed', redisAvailable: true });
    const second = await started.http().get('/health');
    expect(second.body.details.cache.cachedResponse).toBe(true);
    expect((await started.http().get('/health/strict')).status).toBe(200);
  });

  it('reports degraded with HTTP 200 while Redis is frozen and the circuit is open; strict is 503', async () => {
    server.pause();
    try {
      const cache = started.app.get(CacheService);
      for (let i = 0; i < 3; i++) await cache.get(cache.key('probe', i));
      expect(cache.circuitState).toBe('open');
      await sleep(1100); // past the result cache
      const res = await started.http().get('/health');
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('ok');
      expect(res.body.details.cache).toMatchObject({ status: 'up', state: 'degraded', circuit: 'open' });
      const strict = await started.http().get('/health/strict');
      expect(strict.status).toBe(503);
      expect(strict.body.details.redis).toMatchObject({ status: 'down', circuit: 'open' });
    } finally {
      server.resume();
    }
  });
});
