import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CACHE_MANAGER, CacheInterceptor as StockCacheInterceptor, CacheModule, type Cache } from '@nestjs/cache-manager';
import { Controller, Get, Inject, Module, Param, UseInterceptors } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Keyv } from 'keyv';
import { CacheService, RedisCacheModule } from 'nestjs-tiered-cache';
import { RedisCacheKeyvStore } from 'nestjs-tiered-cache/cache-manager';
import { startNestApp } from './support/nest-test-app.js';
import { TestRedisServer } from './support/redis-server.js';
import { slack } from './support/machine-load.js';

let computed = 0;

/** Written against @nestjs/cache-manager only: CACHE_MANAGER and its stock interceptor. */
@Controller('stock')
class StockController {
  constructor(@Inject(CACHE_MANAGER) private readonly cache: Cache) {}

  @Get('computed')
  @UseInterceptors(StockCacheInterceptor)
  value() {
    computed += 1;
    return { computed };
  }

  @Get('put/:key')
  async put(@Param('key') key: string) {
    await this.cache.set(key, { key }, 60_000);
    return { ok: true };
  }

  @Get('get/:key')
  async get(@Param('key') key: string) {
    return { value: (await this.cache.get(key)) ?? null };
  }
}

describe('@nestjs/cache-manager on our tiers (Keyv store adapter)', () => {
  let server: TestRedisServer;
  let started: Awaited<ReturnType<typeof startNestApp>>;

  beforeAll(async () => {
    server = await TestRedisServer.start();
    @Module({
      imports: [
        // Eventual: what a cache-manager store promises (it has no notion of coherence), and what keeps L1
        // serving through the outage below. Under strict coherence a write Redis cannot take waits about a
        // lease once and reads go to the loader (`test/cache-coherence-faults.e2e-spec.ts`).
        RedisCacheModule.forRoot({ isGlobal: true, redisUrl: server.url, keyPrefix: 'cm:', commandTimeoutMs: 200, connectTimeoutMs: 500, coherence: 'eventual' }),
        CacheModule.registerAsync({
          isGlobal: true,
          inject: [CacheService],
          useFactory: (cache: CacheService) => ({ stores: [new Keyv({ store: new RedisCacheKeyvStore(cache) })] }),
        }),
      ],
      controllers: [StockController],
    })
    class StockAppModule {}
    started = await startNestApp(StockAppModule, 'fastify');
  });
  afterAll(async () => {
    await started?.app.close();
    await server?.stop();
  });

  const timed = async (path: string) => {
    const t0 = performance.now();
    const res = await started.http().get(path);
    return { res, ms: performance.now() - t0 };
  };

  it('stores CACHE_MANAGER entries and stock-interceptor responses in our Redis, under our prefix', async () => {
    expect((await started.http().get('/stock/put/a')).status).toBe(200);
    expect((await started.http().get('/stock/get/a')).body).toEqual({ value: { key: 'a' } });
    const first = await started.http().get('/stock/computed');
    const second = await started.http().get('/stock/computed');
    expect(second.body).toEqual(first.body);
    expect(computed).toBe(1);
    const probe = new Redis(server.url, { commandTimeout: 1000, maxRetriesPerRequest: 0 });
    try {
      const [, keys] = await probe.scan('0', 'MATCH', 'cm:keyv:*', 'COUNT', 1000);
      expect(keys.length).toBeGreaterThanOrEqual(2);
    } finally {
      probe.disconnect();
    }
  });

  it('fails fast when Redis is killed: every call answers in well under a second, from L1 where it can', async () => {
    await server.kill();
    const answers = [];
    for (let i = 0; i < 5; i++) {
      answers.push(await timed('/stock/get/a'), await timed(`/stock/put/b${i}`), await timed(`/stock/get/b${i}`), await timed('/stock/computed'));
    }
    expect(answers.map((a) => a.res.status)).toEqual(Array(answers.length).fill(200));
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(slack(500));
    expect(answers[0].res.body).toEqual({ value: { key: 'a' } });
    expect(answers[2].res.body).toEqual({ value: { key: 'b0' } });
    expect(started.app.get(CacheService).getStats().redisAvailable).toBe(false);
  });
});
