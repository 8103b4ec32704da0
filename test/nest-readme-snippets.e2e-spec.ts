// The README's five-minute guide, verbatim in spirit: each snippet here compiles (tsc runs over test/) and
// boots against the real Redis. Keep the two in step: a README snippet that is not here is not proven.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, type INestApplication, Module, Param, ParseIntPipe, UseInterceptors } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  CacheEvict, CacheInterceptor, CacheService, CacheTTL, Cacheable, InjectCache, type NamespacedCache, RedisCacheModule,
} from '@app/redis-cache';
import { startNestApp, uniquePrefix } from './support/nest-test-app.js';

// --- Step 1: configuration from your own config service (what `@nestjs/config`'s ConfigService gives you) ---
@Injectable()
class ConfigService {
  private readonly values: Record<string, string | undefined> = { REDIS_URL: 'redis://127.0.0.1:6379', CACHE_PREFIX: uniquePrefix('readme') };
  get(name: string): string | undefined {
    return this.values[name];
  }
}

@Module({ providers: [ConfigService], exports: [ConfigService] })
class ConfigModule {}

// --- Step 2: a provider method cached by its arguments, and one that evicts ---
interface User { id: number; name: string }
let loads = 0;

@Injectable()
class UsersService {
  private readonly names = new Map<number, string>([[1, 'Ada']]);

  @Cacheable({ namespace: 'user', key: (id: number) => id, ttl: 60, unless: (user: User | null) => user === null })
  async findOne(id: number): Promise<User | null> {
    loads += 1;
    const name = this.names.get(id);
    return name === undefined ? null : { id, name };
  }

  @CacheEvict({ namespace: 'user', keys: (id: number) => id })
  async rename(id: number, name: string): Promise<void> {
    this.names.set(id, name);
  }
}

// --- Step 3: a route cached as an HTTP response (X-Cache, ETag, 304) ---
@Controller('users')
@UseInterceptors(CacheInterceptor)
class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get(':id')
  @CacheTTL(30)
  findOne(@Param('id', ParseIntPipe) id: number): Promise<User | null> {
    return this.users.findOne(id);
  }
}

// --- Step 4: a feature with its own namespace and TTL policy ---
@Injectable()
class ReportsService {
  constructor(@InjectCache('reports') private readonly reports: NamespacedCache) {}

  async monthly(month: string): Promise<{ month: string; total: number } | undefined> {
    const { value } = await this.reports.getOrLoad(['monthly', month], async () => ({ month, total: 42 }));
    return value;
  }
}

@Module({
  imports: [
    RedisCacheModule.forRootAsync({
      isGlobal: true,
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({ redisUrl: config.get('REDIS_URL'), keyPrefix: config.get('CACHE_PREFIX') }),
    }),
    RedisCacheModule.forFeature('reports', { ttl: 300 }),
  ],
  controllers: [UsersController],
  providers: [UsersService, ReportsService],
})
class AppModule {}

describe('README five-minute guide', () => {
  let app: INestApplication | undefined;
  let http: Awaited<ReturnType<typeof startNestApp>>['http'];

  beforeAll(async () => {
    ({ app, http } = await startNestApp(AppModule, 'fastify'));
  });

  afterAll(async () => {
    if (app) await app.get(CacheService).clear();
    await app?.close();
  });

  it('forRootAsync takes its options from an injected config service', () => {
    const cache = app!.get(CacheService);
    expect(cache.getStats()).toMatchObject({ redisEnabled: true });
  });

  it('serves the route from the cache and runs the provider method once', async () => {
    const first = await http().get('/users/1');
    expect(first.status).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    const second = await http().get('/users/1');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.body).toEqual({ id: 1, name: 'Ada' });
    const notModified = await http().get('/users/1').set('If-None-Match', String(second.headers.etag));
    expect(notModified.status).toBe(304);
    expect(loads).toBe(1);
  });

  it('@CacheEvict drops the entry after the method succeeded', async () => {
    const users = app!.get(UsersService);
    await users.rename(1, 'Grace');
    expect(await users.findOne(1)).toEqual({ id: 1, name: 'Grace' });
    expect(loads).toBe(2);
  });

  it('a forFeature namespace caches through the same connection', async () => {
    const reports = app!.get(ReportsService);
    await expect(reports.monthly('2025-01')).resolves.toEqual({ month: '2025-01', total: 42 });
    const cache = app!.get(CacheService);
    expect(await cache.get(cache.key('reports', 'monthly', '2025-01'))).toEqual({ month: '2025-01', total: 42 });
    expect(cache.getStats().redisAvailable).toBe(true);
  });
});

describe('@Cacheable on a controller method', () => {
  it('fails start-up with a CacheConfigError naming the method (Nest binds routes before the cache could wrap them)', async () => {
    @Controller('misplaced')
    class MisplacedController {
      @Get()
      @Cacheable({ namespace: 'misplaced', key: () => 'all' })
      list(): string[] {
        return [];
      }
    }

    @Module({ imports: [RedisCacheModule.forRoot({ keyPrefix: uniquePrefix('misplaced') })], controllers: [MisplacedController] })
    class MisplacedModule {}

    const moduleRef = await Test.createTestingModule({ imports: [MisplacedModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await expect(app.init()).rejects.toMatchObject({ code: 'E_CACHE_CONFIG', message: expect.stringContaining('MisplacedController.list') });
    } finally {
      await app.close();
    }
  });
});
