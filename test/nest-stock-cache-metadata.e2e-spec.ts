// @nestjs/cache-manager and this library both export CacheTTL and CacheKey. Ours reads only its own metadata,
// so a leftover stock @CacheTTL(1000) (milliseconds) on a route under our interceptor would silently leave it
// on the default TTL: start-up must fail and say what to write instead — however our interceptor is bound.
// A route under the stock interceptor keeps its stock metadata (that is where it means something).
import { describe, expect, it } from '@jest/globals';
import { CacheModule, CacheInterceptor as StockCacheInterceptor, CacheKey as StockCacheKey, CacheTTL as StockCacheTTL } from '@nestjs/cache-manager';
import { Controller, Get, type INestApplication, Module, UseInterceptors } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { CacheInterceptor, CacheService, CacheTTL, REDIS_CACHE_MODULE_OPTIONS, RedisCacheModule } from 'nestjs-tiered-cache';

const cacheModule = () => RedisCacheModule.register({ keyPrefix: 'stock-meta:' }); // memory only: no Redis needed

/** Boots `module` (optionally configuring the app first) and returns the start-up error, or 'started'. */
async function startUp(module: unknown, configure?: (app: INestApplication) => void): Promise<string> {
  const moduleRef = await Test.createTestingModule({ imports: [module as never] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  try {
    configure?.(app);
    await app.init();
    return 'started';
  } catch (error) {
    return `${(error as { code?: string }).code}: ${(error as Error).message}`;
  } finally {
    await app.close();
  }
}

@Controller('plain')
class PlainController {
  @Get() @StockCacheTTL(1500) list() { return []; }
  @Get(':id') @StockCacheKey('plain') one() { return {}; }
}

describe('stock @nestjs/cache-manager metadata on routes under our CacheInterceptor', () => {
  it('fails start-up naming the route, with the TTL converted to seconds (@UseInterceptors on the controller)', async () => {
    @Controller('products') @UseInterceptors(CacheInterceptor)
    class ProductsController {
      @Get() @StockCacheTTL(1000) list() { return []; }
      @Get('fine') @CacheTTL(1) fine() { return []; }
    }
    @Module({ imports: [cacheModule()], controllers: [ProductsController] })
    class AppModule {}
    const outcome = await startUp(AppModule);
    expect(outcome).toMatch(/^E_CACHE_CONFIG: @nestjs\/cache-manager's @CacheTTL\/@CacheKey have no effect/);
    expect(outcome).toContain('ProductsController.list: @CacheTTL(1000) (milliseconds there; ours takes seconds: @CacheTTL(1))');
    expect(outcome).not.toContain('ProductsController.fine');
  });

  it('finds a stock @CacheKey and a controller-level stock @CacheTTL under a route-level @UseInterceptors', async () => {
    @Controller('orders') @StockCacheTTL(250)
    class OrdersController {
      @Get(':id') @UseInterceptors(CacheInterceptor) @StockCacheKey('order') one() { return {}; }
      @Get() all() { return []; } // not under our interceptor: left alone
    }
    @Module({ imports: [cacheModule()], controllers: [OrdersController] })
    class AppModule {}
    const outcome = await startUp(AppModule);
    expect(outcome).toContain('OrdersController.one: @CacheTTL(250) (milliseconds there; ours takes seconds: @CacheTTL(0.25)), @CacheKey("order") (ours appends the caller\'s scope to it)');
    expect(outcome).not.toContain('OrdersController.all');
  });

  it('sees our interceptor bound globally with APP_INTERCEPTOR', async () => {
    @Module({ imports: [cacheModule()], controllers: [PlainController], providers: [{ provide: APP_INTERCEPTOR, useClass: CacheInterceptor }] })
    class AppModule {}
    const outcome = await startUp(AppModule);
    expect(outcome).toContain('PlainController.list: @CacheTTL(1500) (milliseconds there; ours takes seconds: @CacheTTL(1.5))');
    expect(outcome).toContain('PlainController.one: @CacheKey("plain")');
  });

  it('sees our interceptor bound globally with app.useGlobalInterceptors', async () => {
    @Module({ imports: [cacheModule()], controllers: [PlainController] })
    class AppModule {}
    const outcome = await startUp(AppModule, (app) => app.useGlobalInterceptors(app.get(CacheInterceptor)));
    expect(outcome).toContain('PlainController.list: @CacheTTL(1500)');
  });

  it('leaves stock metadata alone where our interceptor is not bound (e.g. under the stock interceptor)', async () => {
    @Controller('legacy') @UseInterceptors(StockCacheInterceptor)
    class LegacyController {
      @Get() @StockCacheTTL(1000) list() { return []; }
    }
    @Module({ imports: [cacheModule(), CacheModule.register()], controllers: [LegacyController, PlainController] })
    class AppModule {}
    expect(await startUp(AppModule)).toBe('started');
  });
});

describe('register / registerAsync, the names @nestjs/cache-manager users type', () => {
  it.each([
    ['register', () => RedisCacheModule.register({ isGlobal: true, keyPrefix: 'reg-sync:' }), 'reg-sync:'],
    ['registerAsync', () => RedisCacheModule.registerAsync({ isGlobal: true, useFactory: async () => ({ keyPrefix: 'reg-async:' }) }), 'reg-async:'],
  ])('%s is forRoot(Async): its options and isGlobal apply', async (_name, register, keyPrefix) => {
    const module = register();
    @Module({})
    class FeatureModule {} // does not import the cache module: isGlobal must reach it
    const moduleRef = await Test.createTestingModule({ imports: [module, FeatureModule] }).compile();
    try {
      expect(module).toMatchObject({ module: RedisCacheModule, global: true });
      expect(moduleRef.get(REDIS_CACHE_MODULE_OPTIONS, { strict: false })).toMatchObject({ keyPrefix });
      const cache = moduleRef.select(FeatureModule).get(CacheService, { strict: false });
      await cache.set(cache.key('k', 1), 'v');
      expect(await cache.get(cache.key('k', 1))).toBe('v');
    } finally {
      await moduleRef.close();
    }
  });

  it('register takes no options at all, as CacheModule.register() does', () => {
    expect(RedisCacheModule.register()).toMatchObject({ module: RedisCacheModule, global: false });
  });
});
