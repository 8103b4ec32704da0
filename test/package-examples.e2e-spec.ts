// The examples as users get them: each installed with `npm install` from the packed library and its peers
// from the registry (no `overrides`), built with its own TypeScript, and run on this machine's Node and on
// Nodes 22 and 24 against the real Redis and PostgreSQL: a CommonJS app on Express (what `nest new` makes)
// and an ES-module app on Fastify, each going through module registration, the per-user interceptor,
// @CacheFromEntry over CachedRepository, the method decorators, CacheService, health and metrics.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDatabase, deleteRedisKeys, dropDatabase, SHARED_REDIS_URL } from './support/app-harness.js';
import { type InstalledExample, installExample, startExample } from './support/example-app.js';
import { uniquePrefix } from './support/nest-test-app.js';
import { type NodeLine, nodeLines } from './support/node-lines.js';
import { LIB_DIR, packedLibrary, ROOT } from './support/packed-library.js';

const run = promisify(execFile);
/** Besides this machine's Node 20: the first 22 with `require(esm)` unflagged, and the latest 24. */
const OTHER_NODES = ['22.12.0', '24'];
const REQUIRE_ESM_WARNING = /ExperimentalWarning: CommonJS module .+ is loading ES Module .+ using require\(\)/;

interface Answer {
  status: number;
  xCache: string | null;
  body: unknown;
}

function client(base: string) {
  const call = async (method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await response.text();
    return { status: response.status, xCache: response.headers.get('x-cache'), body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
  return {
    get: (path: string, headers?: Record<string, string>) => call('GET', path, { headers }),
    send: (method: string, path: string, body?: unknown) => call(method, path, { body }),
    text: async (path: string) => (await fetch(`${base}${path}`)).text(),
  };
}
type Client = ReturnType<typeof client>;

/** examples/cjs-express: registerAsync, a Passport-style user, CachedRepository, @Cacheable/@CachePut/@CacheEvict. */
async function shopScenario(api: Client): Promise<void> {
  const created = await api.send('POST', '/products', { name: 'Teaser', priceCents: 500 });
  expect(created).toMatchObject({ status: 201, body: { id: 1, name: 'Teaser', version: 1 } });
  expect(await api.get('/products/1')).toMatchObject({ status: 200, xCache: 'HIT', body: { name: 'Teaser', version: 1 } }); // pre-warmed by save
  await api.send('PATCH', '/products/1', { name: 'Trailer' });
  expect(await api.get('/products/1')).toMatchObject({ status: 200, xCache: 'HIT', body: { name: 'Trailer', version: 2 } });
  expect(await api.get('/products/2')).toMatchObject({ status: 404 });

  const alice = await api.get('/me', { authorization: 'Bearer alice' });
  expect(alice).toMatchObject({ status: 200, xCache: 'MISS', body: { user: 'alice' } });
  expect(await api.get('/me', { authorization: 'Bearer alice' })).toEqual({ ...alice, xCache: 'HIT' });
  const bob = await api.get('/me', { authorization: 'Bearer bob' });
  expect(bob).toMatchObject({ status: 200, xCache: 'MISS', body: { user: 'bob' } });

  const quote = await api.get('/quotes/ab');
  expect(quote).toMatchObject({ xCache: 'BYPASS', body: { cents: 200 } });
  expect((await api.get('/quotes/ab')).body).toEqual(quote.body); // @Cacheable: same run
  const put = await api.send('PUT', '/quotes/ab', { cents: 7 });
  expect((await api.get('/quotes/ab')).body).toEqual(put.body); // @CachePut wrote it
  expect(await api.send('DELETE', '/quotes/ab')).toMatchObject({ status: 204 });
  const fresh = (await api.get('/quotes/ab')).body as { cents: number; run: number };
  expect(fresh.cents).toBe(200); // @CacheEvict dropped it: computed again
  expect(fresh.run).toBeGreaterThan((put.body as { run: number }).run);

  expect(await api.get('/stats')).toMatchObject({ status: 200, body: { redisAvailable: true } });
}

/** examples/esm-fastify: forRoot, Authorization-header scope, tagged list, CachedRepository, @Cacheable/@CacheEvict. */
async function articlesScenario(api: Client): Promise<void> {
  const created = await api.send('POST', '/articles', { title: 'A title of six words here', author: 'ada' });
  expect(created).toMatchObject({ status: 201, body: { id: 1, version: 1 } });
  expect(await api.get('/articles')).toMatchObject({ xCache: 'MISS', body: [{ id: 1, version: 1 }] });
  expect(await api.get('/articles')).toMatchObject({ xCache: 'HIT' });
  await api.send('PATCH', '/articles/1', { title: 'Short' });
  expect(await api.get('/articles')).toMatchObject({ xCache: 'MISS', body: [{ id: 1, title: 'Short', version: 2 }] }); // tag invalidated
  expect(await api.get('/articles/1')).toMatchObject({ xCache: 'HIT', body: { title: 'Short', version: 2 } });

  const alice = await api.get('/articles/for-me', { authorization: 'Bearer alice-token' });
  expect(alice).toMatchObject({ xCache: 'MISS' });
  expect(await api.get('/articles/for-me', { authorization: 'Bearer alice-token' })).toEqual({ ...alice, xCache: 'HIT' });
  expect((await api.get('/articles/for-me', { authorization: 'Bearer bob-token' })).body).not.toEqual(alice.body);

  const minutes = await api.get('/articles/1/reading-time');
  expect(minutes).toMatchObject({ xCache: 'BYPASS', body: { minutes: 1 } });
  expect((await api.get('/articles/1/reading-time')).body).toEqual(minutes.body); // @Cacheable
  expect(await api.send('DELETE', '/articles/reading-times')).toMatchObject({ status: 200, body: { redisAvailable: true } });
  expect((await api.get('/articles/1/reading-time')).body).not.toEqual(minutes.body); // @CacheEvict(allEntries)
}

const EXAMPLES = [
  { name: 'cjs-express', moduleSystem: 'commonjs', scenario: shopScenario },
  { name: 'esm-fastify', moduleSystem: 'module', scenario: articlesScenario },
] as const;

describe.each(EXAMPLES)('examples/$name, installed from the packed library', ({ name, moduleSystem, scenario }) => {
  let example: InstalledExample;
  let nodes: NodeLine[];

  beforeAll(async () => {
    const [tarball, lines] = await Promise.all([packedLibrary(), nodeLines(OTHER_NODES)]);
    nodes = lines;
    example = await installExample(name, tarball);
    // The figure the lead asked for: seen in the test output.
    console.log(`${name}: npm install ${example.reused ? 'reused (recorded: ' : 'took '}${(example.installMs / 1000).toFixed(1)} s${example.reused ? ')' : ''}`);
  }, 900_000);

  it('installs with its peers from the registry and no overrides: ioredis 5 beside TypeORM 1.x', async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, 'examples', name, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.overrides).toBeUndefined();
    expect(manifest.type ?? 'commonjs').toBe(moduleSystem);
    const installed = (pkg: string) => readFile(join(example.dir, 'node_modules', pkg, 'package.json'), 'utf8').then((t) => (JSON.parse(t) as { version: string }).version);
    expect(await installed('ioredis')).toMatch(/^5\./);
    expect(await installed('typeorm')).toMatch(/^1\./);
    expect(await installed('nestjs-tiered-cache')).toBe(JSON.parse(await readFile(join(LIB_DIR, 'package.json'), 'utf8')).version);
    const main = await readFile(join(example.dir, 'dist', 'main.js'), 'utf8');
    expect(/\brequire\("@nestjs\/core"\)/.test(main)).toBe(moduleSystem === 'commonjs'); // really CommonJS output
  });

  it('prints only the npm warnings the README lists', async () => {
    const readme = await readFile(join(LIB_DIR, 'README.md'), 'utf8');
    for (const warning of example.warnings) expect({ warning, listed: readme.includes(`\`${warning}\``) }).toEqual({ warning, listed: true });
  });

  it.each(['host', ...OTHER_NODES])('runs on Node %s: every integration answers, against real Redis and PostgreSQL', async (spec) => {
    const node = spec === 'host' ? nodes[0] : nodes[OTHER_NODES.indexOf(spec) + 1];
    const database = await createDatabase('example');
    const prefix = uniquePrefix(`example-${name}`);
    const app = await startExample(example.dir, node.path, {
      REDIS_URL: SHARED_REDIS_URL, CACHE_PREFIX: prefix, DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${database}`,
    });
    try {
      const api = client(app.url);
      await scenario(api);
      expect(await api.get('/health')).toMatchObject({ status: 200, body: { status: 'ok', info: { cache: { status: 'up', state: 'ok' } } } });
      const metrics = await api.text('/metrics');
      expect(metrics).toMatch(/^redis_cache_reads_total\{tier="l1",result="hit",group="\w+"\} [1-9]/m);
      expect(metrics).toMatch(/^redis_cache_redis_available 1$/m);
    } finally {
      const stopped = await app.stop();
      await dropDatabase(database);
      await deleteRedisKeys(SHARED_REDIS_URL, prefix);
      // Node 22.12 (only) warns once when a CommonJS app's own code require()s an ES module (Nest, then us).
      const warned = moduleSystem === 'commonjs' && node.version.startsWith('22.12.') ? [REQUIRE_ESM_WARNING] : [];
      const problems = (app.output().match(/^.*(ERROR|Error:|Warning:).*$/gm) ?? []).map((line) => (REQUIRE_ESM_WARNING.test(line) ? REQUIRE_ESM_WARNING : line));
      expect({ node: node.version, stopped, problems }).toEqual({ node: node.version, stopped: 'SIGTERM', problems: warned });
    }
  }, 120_000);
});

describe('TypeORM 1.x beside ioredis 6', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is refused by npm (ERESOLVE: typeorm declares an optional peer ioredis@^5) unless the app adds overrides', async () => {
    dir = await mkdtemp(join(tmpdir(), 'typeorm-ioredis6-'));
    const tarball = await packedLibrary();
    const dependencies = { 'nestjs-tiered-cache': `file:${tarball}`, typeorm: '^1.1.1', ioredis: '^6.0.0', '@nestjs/common': '^12.5.1', '@nestjs/core': '^12.5.1', 'lru-cache': '^11.0.0', 'reflect-metadata': '^0.2.2', rxjs: '^7.8.2' };
    const resolve = async (extra: Record<string, unknown>) => {
      await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'probe', private: true, dependencies, ...extra }));
      await rm(join(dir, 'package-lock.json'), { force: true });
      return run('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, timeout: 120_000 })
        .then(() => 'resolved', (error: { stderr?: string }) => (/ERESOLVE/.test(error.stderr ?? '') ? 'ERESOLVE' : String(error.stderr)));
    };
    expect(await resolve({})).toBe('ERESOLVE');
    expect(await resolve({ overrides: { typeorm: { ioredis: '$ioredis' } } })).toBe('resolved');
  }, 240_000);
});
