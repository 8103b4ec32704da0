import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bearer, createDatabase, dropDatabase, startApp } from './support/app-harness.js';
import { measureSlowdown, slowdown } from './support/machine-load.js';
import { freePort, TestRedisServer } from './support/redis-server.js';

const ROOT = resolve(import.meta.dirname, '..');
const MAIN = join(ROOT, 'dist/apps/jobs-api/src/main.js');
const ADMIN = 'startup-admin-token-0123456789';

interface Run {
  code: number | null;
  ms: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `npm start`'s script as an operator would (only PATH from this environment: no NODE_OPTIONS, no
 * stray variables), until it exits or — with `until` — until a line matches; then stops it with SIGTERM.
 */
function runStart(env: Record<string, string>, until?: RegExp, timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'scripts/start.mjs')], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    let ms: number | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`npm start did not ${until ? `print ${until}` : 'exit'} within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    const watch = (): void => {
      if (until !== undefined && ms === undefined && until.test(stdout + stderr)) {
        ms = performance.now() - started;
        child.kill('SIGTERM');
      }
    };
    child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); watch(); });
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); watch(); });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, ms: ms ?? performance.now() - started, stdout, stderr });
    });
  });
}

const nonInfoLines = (text: string): string[] => text.split('\n').filter((l) => l !== '' && !l.startsWith('{"level":30,'));

describe('npm start: fast when built, and clear when it cannot start', () => {
  let databaseName: string;
  let factor: number;

  beforeAll(async () => {
    databaseName = await createDatabase('jobs_startup');
    // Builds when dist/ is missing or stale (a fresh clone), then stops at the invalid PORT.
    const build = await runStart({ PORT: 'not-a-port' });
    expect(build.code).toBe(1);
    factor = slowdown();
  }, 180_000);
  afterAll(async () => {
    if (databaseName !== undefined) await dropDatabase(databaseName);
  });

  it('starts without rebuilding a current build', async () => {
    const builtAt = statSync(MAIN).mtimeMs;
    const port = await freePort();
    const run = await runStart({ PORT: String(port), DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${databaseName}` }, /Listening on http/);
    expect(run.stderr).not.toContain('building');
    expect(statSync(MAIN).mtimeMs).toBe(builtAt);
    // Seconds, not a build's half-minute (the bound is loose: other test files share the 2 cores; the speed
    // itself is no test's claim).
    expect(run.ms).toBeLessThan(5_000 * Math.max(factor, measureSlowdown()));
  });

  it('says a port is taken in one line, fast, before booting anything', async () => {
    const port = await freePort();
    const taken: Server = createServer();
    await new Promise<void>((done) => taken.listen(port, '127.0.0.1', done));
    try {
      const dev = await runStart({ PORT: String(port) });
      expect(dev.code).toBe(1);
      expect(nonInfoLines(dev.stdout + dev.stderr)).toEqual([`Port ${port} on 127.0.0.1 is already in use (another jobs-api, or another program): stop it or set PORT`]);
      expect(dev.ms).toBeLessThan(2_500 * Math.max(factor, measureSlowdown()));
      const prod = await runStart({ PORT: String(port), NODE_ENV: 'production', ADMIN_TOKEN: ADMIN, REDIS_URL: 'redis://127.0.0.1:6379' });
      expect(prod.code).toBe(1);
      const lines = nonInfoLines(prod.stdout + prod.stderr);
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0])).toMatchObject({ level: 60, code: 'PORT_IN_USE', msg: expect.stringContaining(`Port ${port}`) });
    } finally {
      taken.close();
    }
  });

  it('refuses production without REDIS_URL unless memory-only is chosen, and names a misspelled variable — as JSON', async () => {
    const run = await runStart({ NODE_ENV: 'production', ADMIN_TOKEN: ADMIN, REDIS_ULR: 'redis://:secret-pw@127.0.0.1:6379' });
    expect(run.code).toBe(1);
    const lines = nonInfoLines(run.stdout + run.stderr);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({
      level: 60,
      code: 'CONFIG_INVALID',
      msg: 'Invalid configuration',
      problems: [expect.stringMatching(/^REDIS_URL: required when NODE_ENV=production.*CACHE_MEMORY_ONLY=true/), 'REDIS_ULR: not a variable of this service; did you mean REDIS_URL?'],
    });
    expect(run.stderr + run.stdout).not.toContain('secret-pw');
    // Outside production the same configuration is refused in plain text, for a person at a terminal.
    const dev = await runStart({ PORT: '-1' });
    expect(dev.stderr).toBe('Invalid configuration:\n  - PORT: must be an integer from 0 to 65535\n');
  });

  it('says a locked data folder in one line, without a stack', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jobs-locked-'));
    try {
      writeFileSync(join(dataDir, 'jobs-api.lock'), String(process.pid));
      const run = await runStart({ PORT: String(await freePort()), DATA_DIR: dataDir });
      expect(run.code).toBe(1);
      const lines = nonInfoLines(run.stdout + run.stderr);
      expect(lines).toHaveLength(1);
      const line = JSON.parse(lines[0]) as { msg: string; err: { stack: string } };
      expect(line.msg).toBe(`The embedded database folder ${dataDir} is in use by process ${process.pid}; stop it or set DATA_DIR/DATABASE_URL`);
      expect(line.err.stack).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('takes passwords with @ # / : % as they are (docker-compose passes them so)', async () => {
    const password = 'p@ss#w/rd:%41 x';
    const redis = await TestRedisServer.start({ args: ['--requirepass', password] });
    try {
      const h = await startApp({
        redisUrl: `redis://127.0.0.1:${redis.port}/0`,
        database: { url: `postgres://postgres@127.0.0.1:5432/${databaseName}` },
        env: { REDIS_PASSWORD: password, DATABASE_PASSWORD: password },
      });
      try {
        const job = await h.http().post('/api/v2/jobs').set(bearer('acme')).send({ title: 'compose' });
        expect(job.status).toBe(201);
        const stats = await h.http().get('/api/v2/cache/stats').set(bearer('admin'));
        expect(stats.body.statistics).toMatchObject({ redisEnabled: true, redisAvailable: true });
        expect(h.logs.text).not.toContain(password);
      } finally {
        await h.close();
      }
    } finally {
      await redis.stop();
    }
  });

  it("runs `npm run cache:migrate` from exactly what the Dockerfile's runtime stage copies", () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const copied = [...runtime.matchAll(/^COPY --from=build\b.*? \/app\/(\S+) \.\/(\S*)$/gm)].map((m) => m[1]);
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'node_modules', 'dist', 'scripts']));
    const image = mkdtempSync(join(tmpdir(), 'jobs-image-'));
    try {
      for (const path of copied) {
        // node_modules: linked, not copied (the build stage's is the same install, pruned).
        if (path === 'node_modules') symlinkSync(join(ROOT, 'node_modules'), join(image, 'node_modules'));
        else cpSync(join(ROOT, path), join(image, path), { recursive: true });
      }
      const help = spawnSync('npm', ['run', '--silent', 'cache:migrate', '--', '--help'], { cwd: image, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
      expect([help.status, help.stderr]).toEqual([0, '']);
      expect(help.stdout).toContain('--namespace');
    } finally {
      rmSync(image, { recursive: true, force: true });
    }
  });

  it('runs memory-only in production when asked to, and says so loudly', async () => {
    const h = await startApp({ redisUrl: null, env: { NODE_ENV: 'production', CACHE_MEMORY_ONLY: 'true' } });
    try {
      expect(h.logs.lines.some((l) => l.startsWith('WARN') && l.includes('CACHE_MEMORY_ONLY=true: no Redis'))).toBe(true);
    } finally {
      await h.close();
    }
  });
});
