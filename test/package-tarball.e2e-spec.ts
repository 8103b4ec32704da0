// The library as npm ships it: the tarball `npm pack` makes (prepack builds it), its file list and source
// maps, its exports map, and a consumer folder holding that tarball and only the required peers, loaded
// through `import` and through `require` (a CommonJS app), and type-checked from ESM and CommonJS TypeScript.
// The examples (test/package-examples.e2e-spec.ts) install the same tarball with peers from the registry.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { uniquePrefix } from './support/nest-test-app.js';
import { type NodeLine, nodeLines } from './support/node-lines.js';
import { filesBelow, LIB_DIR, libraryManifest, type LibraryManifest, packedLibrary, ROOT, unpack } from './support/packed-library.js';

const run = promisify(execFile);

/** The peers a user must install; everything else the library mentions is optional. */
const REQUIRED_PEERS = ['@nestjs/common', '@nestjs/core', 'ioredis', 'lru-cache', 'reflect-metadata', 'rxjs'];
/** The consumer's own choice of HTTP adapter (not a peer of ours). */
const CONSUMER_DEPS = ['@nestjs/platform-express'];
const OPTIONAL_PEERS = ['@nestjs/terminus', 'cache-manager', 'keyv', 'prom-client', 'typeorm'];
const ENTRIES = ['.', './cache-manager', './engine', './health', './metrics', './migration', './typeorm'];
/** Besides this machine's Node: the floors of 20 and 22 (where `require(esm)` is on by default) and the latest 24. */
const OTHER_NODES = ['20.19.0', '22.12.0', '24'];

interface ConsumerReport {
  version: string;
  optionalPeersResolvable: string[];
  status: number;
  xCache: string[];
  body: { text: string; run: number };
  runs: number;
  redisAvailable: boolean;
  healthError: string | null;
  metricsSubpathError: string | null;
}

describe('the packed library (npm pack)', () => {
  let dir: string;
  let pkg: string;
  let files: string[];
  let manifest: LibraryManifest;
  let nodes: NodeLine[];

  beforeAll(async () => {
    manifest = await libraryManifest();
    const [tarball, lines] = await Promise.all([packedLibrary(), nodeLines(OTHER_NODES)]);
    nodes = lines;
    dir = await mkdtemp(join(tmpdir(), 'tiered-cache-consumer-'));
    pkg = join(dir, 'node_modules', manifest.name);
    await mkdir(dirname(pkg), { recursive: true });
    // Unpacked, not linked: a link would resolve the library's imports from this repository's node_modules.
    await cp(await unpack(tarball, join(dir, 'unpacked')), pkg, { recursive: true });
    files = await filesBelow(pkg);
    // What npm would install beside it: its own dependencies, the required peers, the app's adapter.
    for (const name of [...Object.keys(manifest.dependencies), ...REQUIRED_PEERS, ...CONSUMER_DEPS]) {
      await mkdir(dirname(join(dir, 'node_modules', name)), { recursive: true });
      await symlink(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
    }
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  }, 240_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is publishable: a real name, a semver version, a changelog entry for it, a licence', async () => {
    expect(manifest.name).toBe('nestjs-tiered-cache');
    expect(manifest.private).toBeUndefined();
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    expect(manifest.scripts.prepack).toBe('npm run build');
    const changelog = await readFile(join(pkg, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(new RegExp(`^## ${manifest.version.replaceAll('.', '\\.')}\\b`, 'm'));
    expect(await readFile(join(pkg, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it('ships the built entries with their declarations and maps, and nothing else', async () => {
    const sources = (await filesBelow(join(LIB_DIR, 'src')))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.spec.ts'));
    const built = sources.flatMap((f) => {
      const base = `dist/${f.slice(0, -'.ts'.length)}`;
      return [`${base}.js`, `${base}.js.map`, `${base}.d.ts`];
    });
    expect(files).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', ...built, 'package.json'].sort());
  });

  it('has no dangling source map: every map carries the sources it names, every .js names a shipped map', async () => {
    const maps = files.filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(50);
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(await readFile(join(pkg, map), 'utf8')) as { sources: string[]; sourcesContent?: unknown[] };
      expect({ map, count: sourcesContent?.filter((s) => typeof s === 'string' && s.length > 0).length }).toEqual({ map, count: sources.length });
      const js = await readFile(join(pkg, map.slice(0, -'.map'.length)), 'utf8');
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(js)?.[1];
      expect(files).toContain(join(dirname(map), url ?? '<none>').split('\\').join('/'));
    }
  });

  it('exports each entry with types, import and default (so require(esm) loads it), and every target is shipped', () => {
    expect(Object.keys(manifest.exports).filter((k) => k !== './package.json').sort()).toEqual(ENTRIES);
    for (const entry of ENTRIES) {
      const conditions = manifest.exports[entry] as Record<string, string>;
      expect(Object.keys(conditions)).toEqual(['types', 'import', 'default']); // order matters: types first
      expect(conditions.default).toBe(conditions.import);
      for (const target of Object.values(conditions)) expect(files).toContain(target.slice(2));
    }
  });

  it('declares exactly the optional integrations as optional peers, and accepts ioredis 5 and 6', () => {
    const optional = Object.keys(manifest.peerDependenciesMeta).filter((name) => manifest.peerDependenciesMeta[name].optional);
    expect(optional.sort()).toEqual(OPTIONAL_PEERS);
    expect(Object.keys(manifest.peerDependencies).filter((name) => !optional.includes(name)).sort()).toEqual(REQUIRED_PEERS);
    expect(manifest.peerDependencies.ioredis).toBe('^5.11.0 || ^6.0.0');
  });

  it.each(['import', 'require'].flatMap((load) => ['host', ...OTHER_NODES].map((node) => [load, node])))(
    'runs a plain-JavaScript Nest app that loads it with %s on Node %s, with only the required peers', async (load, spec) => {
    const node = spec === 'host' ? nodes[0] : nodes[OTHER_NODES.indexOf(spec) + 1];
    await cp(join(ROOT, 'test', 'support', 'package-consumer.mjs'), join(dir, 'consumer.mjs'));
    const { stdout, stderr } = await run(node.path, ['consumer.mjs'], {
      cwd: dir, timeout: 30_000,
      env: { PATH: process.env.PATH, LOAD: load, REDIS_URL: 'redis://127.0.0.1:6379', KEY_PREFIX: uniquePrefix('pkg') },
    });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as ConsumerReport;
    expect(report.version).toBe(manifest.version);
    expect(report.optionalPeersResolvable).toEqual([]); // the folder really lacks them
    expect(report.status).toBe(200);
    expect(report.xCache).toEqual(['MISS', 'HIT']);
    expect(report.body).toEqual({ text: 'hello ada', run: 1 });
    expect(report.runs).toBe(1);
    expect(report.redisAvailable).toBe(true);
    expect(report.healthError).toBe('E_CACHE_CONFIG'); // a clear error on use, not a crash at import
    expect(report.metricsSubpathError).toBe('ERR_MODULE_NOT_FOUND'); // the subpath does need prom-client
    // Node 22.12 (only) warns once when code outside node_modules require()s an ES module; 20.19+, 22.13+, 24 do not.
    const warning = load === 'require' && node.version.startsWith('22.12.')
      ? expect.stringMatching(/^\(node:\d+\) ExperimentalWarning: CommonJS module .+ is loading ES Module .+\/nestjs-tiered-cache\/dist\/index\.js using require\(\)/)
      : '';
    expect({ node: node.version, stderr }).toEqual({ node: node.version, stderr: warning });
  }, 60_000);

  it.each([['consumer.ts', 'an ES module'], ['consumer.cts', 'a CommonJS module']])(
    'type-checks %s (%s) against the shipped declarations',
    async (file) => {
      await writeFile(join(dir, `tsconfig.${file}.json`), JSON.stringify({
        compilerOptions: {
          module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2023', strict: true, noEmit: true,
          experimentalDecorators: true, emitDecoratorMetadata: true, skipLibCheck: true, types: [],
        },
        files: [file],
      }));
      await writeFile(join(dir, file), [
        "import { Controller, Get, Injectable, Module, Param, UseInterceptors } from '@nestjs/common';",
        "import { CacheInterceptor, Cacheable, CacheService, CacheTTL, RedisCacheModule } from 'nestjs-tiered-cache';",
        '@Injectable() export class Greetings {',
        '  constructor(private readonly cache: CacheService) {}',
        "  @Cacheable({ namespace: 'greeting', key: (name: string) => name, ttl: 60 })",
        '  async greet(name: string): Promise<string> { return `hello ${name}`; }',
        '  stats(): boolean { return this.cache.getStats().redisAvailable; }',
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
      const result = await run(process.execPath, [tsc, '-p', `tsconfig.${file}.json`], { cwd: dir, timeout: 60_000 }).then(
        () => 'ok',
        (error: Error & { stdout?: string }) => error.stdout ?? error.message,
      );
      expect(result).toBe('ok');
    },
    60_000,
  );
});
