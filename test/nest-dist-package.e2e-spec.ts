import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { uniquePrefix } from './support/nest-test-app.js';

const ROOT = join(import.meta.dirname, '..');
const LIB_DIR = join(ROOT, 'libs', 'redis-cache');
const run = promisify(execFile);

/** The peers a user must install; everything else the library mentions is optional. */
const REQUIRED_PEERS = ['@nestjs/common', '@nestjs/core', 'ioredis', 'lru-cache', 'reflect-metadata', 'rxjs'];
/** The consumer's own choice of HTTP adapter (not a peer of ours). */
const CONSUMER_DEPS = ['@nestjs/platform-express'];
const OPTIONAL_PEERS = ['@nestjs/terminus', 'cache-manager', 'keyv', 'prom-client', 'typeorm'];

interface Manifest {
  exports: Record<string, { types: string; import: string } | string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional: boolean }>;
}

interface ConsumerReport {
  optionalPeersResolvable: string[];
  status: number;
  xCache: string[];
  body: { text: string; run: number };
  runs: number;
  redisAvailable: boolean;
  healthError: string | null;
  metricsSubpathError: string | null;
}

/**
 * The library as a user gets it: built with its own tsconfig into `dist`, copied as a package into a folder
 * whose `node_modules` holds only the required peers (symlinks), and used from there by a minimal Nest app
 * that is not the jobs API — run by plain `node`, and type-checked by `tsc` from TypeScript sources.
 */
describe('@app/redis-cache built from its package (dist), with only the required peers installed', () => {
  let dir: string;
  let manifest: Manifest;

  beforeAll(async () => {
    await run(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', join(LIB_DIR, 'tsconfig.lib.json')], {
      cwd: ROOT, timeout: 90_000,
    });
    manifest = JSON.parse(await readFile(join(LIB_DIR, 'package.json'), 'utf8')) as Manifest;
    dir = await mkdtemp(join(tmpdir(), 'redis-cache-consumer-'));
    const pkg = join(dir, 'node_modules', '@app', 'redis-cache');
    await mkdir(pkg, { recursive: true });
    // A copy, not a link: a link would resolve the library's imports from this repository's node_modules.
    await cp(join(LIB_DIR, 'dist'), join(pkg, 'dist'), { recursive: true });
    await cp(join(LIB_DIR, 'package.json'), join(pkg, 'package.json'));
    for (const name of [...REQUIRED_PEERS, ...CONSUMER_DEPS]) {
      await mkdir(dirname(join(dir, 'node_modules', name)), { recursive: true });
      await symlink(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
    }
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('declares exactly the optional integrations as optional peers, each behind its own subpath', () => {
    const optional = Object.keys(manifest.peerDependenciesMeta).filter((name) => manifest.peerDependenciesMeta[name].optional);
    expect(optional.sort()).toEqual(OPTIONAL_PEERS);
    expect(Object.keys(manifest.peerDependencies).filter((name) => !optional.includes(name)).sort()).toEqual(REQUIRED_PEERS);
    expect(Object.keys(manifest.exports).sort()).toEqual(['.', './cache-manager', './health', './metrics', './migration', './package.json', './typeorm']);
  });

  it('boots a plain-JavaScript Nest app on the root entry: CacheInterceptor, @Cacheable, fail-clear optional parts', async () => {
    await cp(join(ROOT, 'test', 'support', 'nest-dist-consumer.mjs'), join(dir, 'consumer.mjs'));
    const { stdout } = await run(process.execPath, ['consumer.mjs'], {
      cwd: dir, timeout: 30_000,
      env: { PATH: process.env.PATH, REDIS_URL: 'redis://127.0.0.1:6379', KEY_PREFIX: uniquePrefix('dist') },
    });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as ConsumerReport;
    expect(report.optionalPeersResolvable).toEqual([]); // the folder really lacks them
    expect(report.status).toBe(200);
    expect(report.xCache).toEqual(['MISS', 'HIT']);
    expect(report.body).toEqual({ text: 'hello ada', run: 1 });
    expect(report.runs).toBe(1);
    expect(report.redisAvailable).toBe(true);
    expect(report.healthError).toBe('E_CACHE_CONFIG'); // a clear error on use, not a crash at import
    expect(report.metricsSubpathError).toBe('ERR_MODULE_NOT_FOUND'); // the subpath does need prom-client
  }, 60_000);

  it('type-checks a TypeScript consumer against the emitted declarations', async () => {
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2023', strict: true, noEmit: true,
        experimentalDecorators: true, emitDecoratorMetadata: true, skipLibCheck: true, types: [],
      },
      files: ['consumer.ts'],
    }));
    await writeFile(join(dir, 'consumer.ts'), [
      "import { Controller, Get, Injectable, Module, Param, UseInterceptors } from '@nestjs/common';",
      "import { CacheInterceptor, Cacheable, CacheService, CacheTTL, RedisCacheModule } from '@app/redis-cache';",
      '@Injectable() export class Greetings {',
      '  constructor(private readonly cache: CacheService) {}',
      "  @Cacheable({ namespace: 'greeting', key: (name: string) => name, ttl: 60 })",
      '  async greet(name: string): Promise<string> { return `hello ${name}`; }',
      "  stats(): boolean { return this.cache.getStats().redisAvailable; }",
      '}',
      "@Controller('hello') @UseInterceptors(CacheInterceptor) export class Hello {",
      '  constructor(private readonly greetings: Greetings) {}',
      "  @Get(':name') @CacheTTL(30) hello(@Param('name') name: string): Promise<string> { return this.greetings.greet(name); }",
      '}',
      "@Module({ imports: [RedisCacheModule.forRoot({ isGlobal: true, redisUrl: 'redis://127.0.0.1:6379' })], controllers: [Hello], providers: [Greetings] })",
      'export class AppModule {}',
      '',
    ].join('\n'));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, timeout: 60_000 }).then(
      () => 'ok',
      (error: Error & { stdout?: string }) => error.stdout ?? error.message,
    );
    expect(result).toBe('ok');
  }, 60_000);
});
