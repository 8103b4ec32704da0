// The library README, verbatim: every `ts` block names its file; this writes each to test/.readme-guide/,
// type-checks them all with tsc, boots the five-minute guide's app against the real Redis and PostgreSQL and
// calls each route as the guide describes; the migration section's modules boot too. Claims the code blocks
// cannot show (the options table, the Keyv store's default TTL, a silent engine without a logger) are
// checked below them.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CACHE_MANAGER, type Cache } from '@nestjs/cache-manager';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { Cacheable, CacheService, RedisCacheModule } from 'nestjs-tiered-cache';
import { RedisCacheKeyvStore } from 'nestjs-tiered-cache/cache-manager';
import { DataSource } from 'typeorm';
import { createDatabase, deleteRedisKeys, dropDatabase, SHARED_REDIS_URL } from './support/app-harness.js';
import { declaredOptions } from './support/declared-options.js';
import { startNestApp, uniquePrefix } from './support/nest-test-app.js';
import { LIB_DIR, ROOT } from './support/packed-library.js';
import { readmeFileBlocks } from './support/readme-blocks.js';

const run = promisify(execFile);
const OUT = join(ROOT, 'test', '.readme-guide');
const LIB_SRC = join(LIB_DIR, 'src');

let readme: string;
let files: string[];
let unnamed: number[];
let typecheck: string;

beforeAll(async () => {
  readme = await readFile(join(LIB_DIR, 'README.md'), 'utf8');
  const blocks = readmeFileBlocks(readme);
  files = blocks.files.map((b) => b.path);
  unnamed = blocks.unnamed;
  await rm(OUT, { recursive: true, force: true });
  for (const block of blocks.files) {
    await mkdir(dirname(join(OUT, block.path)), { recursive: true });
    await writeFile(join(OUT, block.path), block.code);
  }
  // The repository's compiler settings and its `nestjs-tiered-cache` path alias (the package's own
  // declarations are type-checked from the tarball by test/package-tarball.e2e-spec.ts).
  await writeFile(join(OUT, 'tsconfig.json'), JSON.stringify({
    extends: '../../tsconfig.json', compilerOptions: { noEmit: true, types: ['node'] }, include: ['**/*.ts', '../../libs/redis-cache/src/types/*.d.ts'], exclude: [],
  }));
  typecheck = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(OUT, 'tsconfig.json')], { timeout: 120_000 })
    .then(() => 'ok', (error: Error & { stdout?: string }) => error.stdout ?? error.message);
}, 150_000);

describe('the README code blocks', () => {
  it('each name the file they are, so none goes unchecked', () => {
    expect(unnamed).toEqual([]);
    expect(files).toEqual(expect.arrayContaining([
      'src/app.module.ts', 'src/products/product.entity.ts', 'src/products/products.module.ts', 'src/products/products.service.ts',
      'src/products/products.controller.ts', 'src/ops.module.ts', 'src/main.ts',
      'migration/before.module.ts', 'migration/after.module.ts', 'migration/keyv-bridge.module.ts',
    ]));
    expect(new Set(files).size).toBe(files.length);
  });

  it('type-check together, exactly as written', () => {
    expect(typecheck).toBe('ok');
  });
});

describe('the five-minute guide, booted against Redis and PostgreSQL', () => {
  let database: string;
  let prefix: string;
  let app: INestApplication | undefined;
  let http: Awaited<ReturnType<typeof startNestApp>>['http'];

  beforeAll(async () => {
    database = await createDatabase('readme_guide');
    prefix = uniquePrefix('guide');
    // What ConfigModule.forRoot() reads (process.env wins over a .env file).
    Object.assign(process.env, { REDIS_URL: SHARED_REDIS_URL, CACHE_PREFIX: prefix, DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${database}` });
    const { AppModule } = (await import(join(OUT, 'src', 'app.module.ts'))) as { AppModule: unknown };
    ({ app, http } = await startNestApp(AppModule, 'express')); // NestFactory.create's default adapter, as in main.ts
    await app.get(DataSource).query(`INSERT INTO products (name, "priceCents") VALUES ('Lamp', 1200), ('Desk', 25000), ('Chair', 8000), ('Rug', 9900)`);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    for (const name of ['REDIS_URL', 'CACHE_PREFIX', 'DATABASE_URL']) delete process.env[name];
    if (prefix) await deleteRedisKeys(SHARED_REDIS_URL, prefix);
    if (database) await dropDatabase(database);
  });

  it('@CacheFromEntry over CachedRepository.findOneById: MISS, then HIT from the entity entry, 304 for its ETag, 404 for none', async () => {
    const first = await http().get('/products/1');
    expect({ status: first.status, xCache: first.headers['x-cache'], body: first.body }).toEqual({
      status: 200, xCache: 'MISS', body: { id: 1, name: 'Lamp', priceCents: 1200, version: 1 },
    });
    const second = await http().get('/products/1');
    expect(second.headers['x-cache']).toBe('HIT');
    expect((await http().get('/products/1').set('If-None-Match', String(second.headers.etag))).status).toBe(304);
    expect((await http().get('/products/99')).status).toBe(404);
  });

  it('@CacheTTL + @CacheTags on the list, per caller; @CacheKey shares one entry whatever the query', async () => {
    expect((await http().get('/products')).headers['x-cache']).toBe('MISS');
    expect((await http().get('/products')).headers['x-cache']).toBe('HIT');
    expect((await http().get('/products').set('Authorization', 'Bearer ada')).headers['x-cache']).toBe('MISS');
    expect((await http().get('/products').set('Authorization', 'Bearer ada')).headers['x-cache']).toBe('HIT');
    expect((await http().get('/products').set('Authorization', 'Bearer bob')).headers['x-cache']).toBe('MISS');
    const featured = await http().get('/products/featured?utm=a');
    expect({ xCache: featured.headers['x-cache'], names: (featured.body as Array<{ name: string }>).map((p) => p.name) })
      .toEqual({ xCache: 'MISS', names: ['Lamp', 'Desk', 'Chair'] });
    expect((await http().get('/products/featured?utm=b')).headers['x-cache']).toBe('HIT');
  });

  it('@NoCache route over @Cacheable; @CachePut replaces the quote; an update evicts quotes, refreshes the entity, drops the tagged list', async () => {
    const quote = await http().get('/products/1/quote?quantity=2');
    expect({ status: quote.status, xCache: quote.headers['x-cache'], total: quote.body.totalCents }).toEqual({ status: 200, xCache: 'BYPASS', total: 2400 });
    expect((await http().get('/products/1/quote?quantity=2')).body).toEqual(quote.body); // @Cacheable
    await app!.get(DataSource).query(`UPDATE products SET "priceCents" = 1300 WHERE id = 1`); // behind the cache's back
    expect((await http().get('/products/1/quote?quantity=2')).body.totalCents).toBe(2400);
    expect((await http().put('/products/1/quote?quantity=2')).body.totalCents).toBe(2600); // @CachePut
    expect((await http().get('/products/1/quote?quantity=2')).body.totalCents).toBe(2600);

    const updated = await http().patch('/products/1').send({ priceCents: 1500 });
    expect({ status: updated.status, body: updated.body }).toEqual({ status: 200, body: { id: 1, name: 'Lamp', priceCents: 1500, version: 2 } });
    const entity = await http().get('/products/1');
    expect({ xCache: entity.headers['x-cache'], body: entity.body }).toEqual({ xCache: 'HIT', body: updated.body }); // refreshed after commit
    const list = await http().get('/products');
    expect({ xCache: list.headers['x-cache'], price: list.body[0].priceCents }).toEqual({ xCache: 'MISS', price: 1500 }); // tag invalidated
    expect((await http().get('/products/1/quote?quantity=2')).body.totalCents).toBe(3000); // @CacheEvict(allEntries)
  });

  it('health is up through Terminus; metrics registered (async) in the global registry', async () => {
    const health = await http().get('/health');
    expect({ status: health.status, cache: health.body.info?.cache }).toMatchObject({
      status: 200, cache: { status: 'up', state: 'ok', redisEnabled: true, redisAvailable: true, circuit: 'closed' },
    });
    const metrics = await http().get('/metrics');
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.text).toMatch(/^redis_cache_reads_total\{tier="l1",result="hit",group="product"\} [1-9]/m);
    expect(app!.get(CacheService).getStats().redisAvailable).toBe(true);
  });
});

describe('the migration section', () => {
  it('"after" caches the rates through CacheService, per its units (seconds)', async () => {
    process.env.REDIS_URL = ''; // the module reads it when imported: memory only here
    try {
      const { RatesModule } = (await import(join(OUT, 'migration', 'after.module.ts'))) as { RatesModule: unknown };
      const { app, http } = await startNestApp(RatesModule, 'fastify');
      try {
        const first = await http().get('/rates');
        expect({ status: first.status, xCache: first.headers['x-cache'], body: first.body }).toEqual({ status: 200, xCache: 'MISS', body: [1.08, 0.86] });
        expect((await http().get('/rates')).headers['x-cache']).toBe('HIT');
      } finally {
        await app.close();
      }
    } finally {
      delete process.env.REDIS_URL;
    }
  });

  it('the Keyv bridge runs CACHE_MANAGER on our tiers', async () => {
    process.env.REDIS_URL = '';
    try {
      const { BridgeModule } = (await import(join(OUT, 'migration', 'keyv-bridge.module.ts'))) as { BridgeModule: unknown };
      const moduleRef = await Test.createTestingModule({ imports: [BridgeModule as never] }).compile();
      await moduleRef.init();
      try {
        const manager = moduleRef.get<Cache>(CACHE_MANAGER);
        const sets = moduleRef.get(CacheService).getStats().sets;
        await manager.set('greeting', { hello: 'world' }, 60_000);
        expect(await manager.get('greeting')).toEqual({ hello: 'world' });
        expect(moduleRef.get(CacheService).getStats().sets).toBe(sets + 1);
      } finally {
        await moduleRef.close();
      }
    } finally {
      delete process.env.REDIS_URL;
    }
  });

  it('the Keyv store keeps an entry written without a TTL for 24 hours', async () => {
    const prefix = uniquePrefix('keyv-ttl');
    const cache = new CacheService({ redisUrl: SHARED_REDIS_URL, keyPrefix: prefix });
    await cache.onModuleInit();
    const redis = new Redis(SHARED_REDIS_URL, { commandTimeout: 1000, maxRetriesPerRequest: 0 });
    try {
      await new RedisCacheKeyvStore(cache).set('session', 'value');
      const raw = await redis.get(`${prefix}${cache.key('keyv', 'session')}`);
      const [, , , storedAt, expiresAt] = (raw ?? '').split('|'); // c1|kind|version|storedAt|expiresAt|…
      expect(Number(expiresAt) - Number(storedAt)).toBe(86_400_000);
    } finally {
      redis.disconnect();
      await cache.clear();
      await cache.onApplicationShutdown();
    }
  });
});

describe('the README beyond its code', () => {
  it('the options table names every option the types declare, and nothing else', async () => {
    const declared = await declaredOptions(
      { file: join(LIB_SRC, 'nest', 'redis-cache-module-options.interface.ts'), interfaceName: 'RedisCacheModuleOptions' },
      [
        { file: join(LIB_SRC, 'engine', 'cache.types.ts'), interfaceName: 'CacheEngineOptions' },
        { file: join(LIB_SRC, 'engine', 'cache.types.ts'), interfaceName: 'L1Options' },
        { file: join(LIB_SRC, 'interceptors', 'http-cache-options.interface.ts'), interfaceName: 'HttpCacheOptions' },
      ],
    );
    const section = readme.slice(readme.indexOf('## Options'), readme.indexOf('\n## ', readme.indexOf('## Options') + 1));
    const documented = [...section.matchAll(/^\| `([\w.]+)` \|/gm)].map((m) => m[1]).sort();
    expect(declared.length).toBeGreaterThan(30);
    expect(documented).toEqual(['isGlobal', ...declared].sort()); // isGlobal: the module builder's extra
  });

  it('the engine logs nothing without a logger; with one, it says that Redis is unreachable', async () => {
    const written: string[] = [];
    const spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => { written.push(String(chunk)); return true; }),
      jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => { written.push(String(chunk)); return true; }),
      ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
        jest.spyOn(console, level).mockImplementation((...args: unknown[]) => { written.push(args.map(String).join(' ')); })),
    ];
    const exercise = async (logger?: { log(m: string): void; warn(m: string): void; error(m: string): void; debug(m: string): void }) => {
      // Port 1: nothing listens, every connect is refused at once.
      const cache = new CacheService({ redisUrl: 'redis://127.0.0.1:1', connectTimeoutMs: 200, commandTimeoutMs: 50, logger });
      await cache.onModuleInit();
      await cache.set(cache.key('k', 1), 'v');
      await cache.getOrLoad(cache.key('k', 2), async () => 'loaded');
      await cache.onApplicationShutdown();
    };
    const lines: string[] = [];
    try {
      await exercise();
      expect(written).toEqual([]);
      const collect = (m: string) => { lines.push(m); };
      await exercise({ log: collect, warn: collect, error: collect, debug: collect });
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(written).toEqual([]);
    expect(lines.length).toBeGreaterThan(0);
  });

  it('method decorators on a controller fail start-up with a CacheConfigError naming the method', async () => {
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
