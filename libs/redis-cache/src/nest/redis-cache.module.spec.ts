import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { createServer } from 'node:net';
import { CacheService } from './cache.service.js';
import { RedisCacheHealthIndicator } from '../health/redis-cache-health.indicator.js';
import { RedisCacheModule } from './redis-cache.module.js';

@Injectable()
class Consumer {
  constructor(readonly cache: CacheService) {}
}

/** A loopback port with nothing listening (Redis "unreachable"). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('RedisCacheModule', () => {
  let moduleRef: TestingModule | undefined;
  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  it('emits constructor metadata (injection by class needs decoratorMetadata)', () => {
    expect(Reflect.getMetadata('design:paramtypes', Consumer)).toEqual([CacheService]);
  });

  it('forRoot without a Redis URL: CacheService injectable by class, memory tier serves', async () => {
    @Module({ imports: [RedisCacheModule.forRoot({ keyPrefix: 'spec:' })], providers: [Consumer] })
    class AppModule {}
    moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    await moduleRef.init();
    const { cache } = moduleRef.get(Consumer);
    expect(cache).toBeInstanceOf(CacheService);
    await cache.set(cache.key('a', 1), { ok: true });
    expect(await cache.get(cache.key('a', 1))).toEqual({ ok: true });
    expect(cache.getStats()).toMatchObject({ redisEnabled: false, redisAvailable: false, circuit: 'closed' });
    const health = await moduleRef.get(RedisCacheHealthIndicator).isHealthy('cache');
    expect(health.cache).toMatchObject({ status: 'up', redisEnabled: false, state: 'memory-only' });
  });

  it('forRootAsync with isGlobal and Redis unreachable: boots fast, health is up but degraded, strict is down', async () => {
    const port = await deadPort();
    @Module({ providers: [Consumer] })
    class FeatureModule {}
    const started = Date.now();
    moduleRef = await Test.createTestingModule({
      imports: [
        RedisCacheModule.forRootAsync({
          isGlobal: true,
          useFactory: async () => ({ redisUrl: `redis://127.0.0.1:${port}`, connectTimeoutMs: 300, commandTimeoutMs: 100 }),
        }),
        FeatureModule,
      ],
    }).compile();
    await moduleRef.init();
    expect(Date.now() - started).toBeLessThan(1500);
    const { cache } = moduleRef.get(Consumer);
    expect(await cache.getOrLoad(cache.key('job', 1), async () => 'db')).toMatchObject({ value: 'db', source: 'loader' });
    const indicator = moduleRef.get(RedisCacheHealthIndicator);
    const health = await indicator.isHealthy('cache');
    expect(health.cache).toMatchObject({ status: 'up', redisEnabled: true, redisAvailable: false, state: 'degraded' });
    const strict = await indicator.isHealthyStrict('redis');
    expect(strict.redis).toMatchObject({ status: 'down', redisAvailable: false });
  });
});
