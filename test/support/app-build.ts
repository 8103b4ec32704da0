import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..', '..');
/** Git-ignored (under node_modules), and wiped by `npm ci` like any other build cache. */
const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'jobs-api-build');
/** What the build reads: a change to any of these makes a new build. */
const INPUTS = ['apps/jobs-api/src', 'libs/redis-cache/src', 'tsconfig.json', 'apps/jobs-api/tsconfig.app.json', 'nest-cli.json', 'package-lock.json'];
const LOCK_WAIT_MS = 5 * 60_000;

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((name) => filesUnder(join(path, name)));
}

/** SHA-256 over the path and content of every build input. */
function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap((input) => filesUnder(join(ROOT, input)))) {
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // ESRCH: no such process. EPERM would mean it exists under another user: treat it as alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Runs `work` holding a lock directory (mkdir is atomic); waits while another live process holds it and
 * takes over a lock whose holder died.
 */
async function withLock(lockDir: string, work: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(existsSync(join(lockDir, 'pid')) ? readFileSync(join(lockDir, 'pid'), 'utf8') : 'NaN');
      if (Number.isInteger(holder) && !isAlive(holder)) rmSync(lockDir, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`app build lock ${lockDir} held for over ${LOCK_WAIT_MS} ms`, { cause: error });
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Entry points of a build of the jobs API. */
export interface BuiltApp {
  /** `main.js`: the service. */
  main: string;
  /** The TypeORM CLI's DataSource (`database/data-source.js`): migrations without starting the service. */
  dataSource: string;
}

/**
 * The jobs API built exactly as `npm run build` builds it (`nest build jobs-api`, which rewrites the
 * `nestjs-tiered-cache` path alias), into a folder named by a hash of the sources. Built once per source state:
 * concurrent jest workers wait for one build (a lock), later runs reuse it, older builds are removed.
 * Nothing tracked is written, so `git status` stays clean.
 */
export async function builtApp(): Promise<BuiltApp> {
  const hash = sourceHash();
  const out = join(CACHE_DIR, hash);
  const main = join(out, 'apps', 'jobs-api', 'src', 'main.js');
  const built = { main, dataSource: join(out, 'apps', 'jobs-api', 'src', 'database', 'data-source.js') };
  const done = join(out, '.complete');
  if (existsSync(done)) return built;
  mkdirSync(CACHE_DIR, { recursive: true });
  await withLock(join(CACHE_DIR, `${hash}.lock`), async () => {
    if (existsSync(done)) return;
    const tsconfig = join(CACHE_DIR, `tsconfig.${hash}.json`);
    writeFileSync(tsconfig, JSON.stringify({ extends: relative(CACHE_DIR, join(ROOT, 'apps/jobs-api/tsconfig.app.json')), compilerOptions: { outDir: `./${hash}` } }));
    await run(process.execPath, [join(ROOT, 'node_modules/@nestjs/cli/bin/nest.js'), 'build', 'jobs-api', '-p', relative(ROOT, tsconfig)], { cwd: ROOT, timeout: LOCK_WAIT_MS });
    if (!existsSync(main)) throw new Error(`nest build left no ${main}`);
    writeFileSync(done, new Date().toISOString());
    for (const name of readdirSync(CACHE_DIR)) {
      if (!name.includes(hash) && !name.endsWith('.lock')) rmSync(join(CACHE_DIR, name), { recursive: true, force: true });
    }
  });
  return built;
}
