import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, withLock } from './cache-dir.js';

const run = promisify(execFile);
/**
 * Not under node_modules like the other caches: Node treats code whose path contains `node_modules` as a
 * dependency's (e.g. it stays quiet about `require(esm)` there), and these apps must run as a user's app.
 * One folder per work tree.
 */
const CACHE_DIR = join(tmpdir(), `nestjs-tiered-cache-examples-${createHash('sha256').update(ROOT).digest('hex').slice(0, 8)}`);

/** An example app installed from the packed library, its dependencies from the registry. */
export interface InstalledExample {
  dir: string;
  /** How long `npm install` took (when this run installed it; else the recorded figure). */
  installMs: number;
  /** Whether an install of the same manifest and tarball was reused. */
  reused: boolean;
  /** npm's warnings, one key each: `EBADENGINE <package>`, `deprecated <package>`, or the warning's code. */
  warnings: string[];
}

/** `npm warn …` lines of an install, reduced to one stable key per warning (versions left out). */
export function npmWarnings(stderr: string): string[] {
  const keys = new Set<string>();
  for (const line of stderr.split('\n')) {
    const [, code, rest] = /^npm warn (\S+)(.*)$/.exec(line) ?? [];
    if (code === undefined) continue;
    if (code === 'EBADENGINE') {
      const name = /package: '(.+)@[^@']+'/.exec(rest)?.[1];
      if (name !== undefined) keys.add(`EBADENGINE ${name}`);
    } else if (code === 'deprecated') {
      keys.add(`deprecated ${/^\s*(.+?)@[^@\s:]+:/.exec(rest)?.[1] ?? rest.trim()}`);
    } else {
      keys.add(code);
    }
  }
  return [...keys].sort();
}

/**
 * Installs `examples/<name>` as a user would (`npm install`, registry peers, no `overrides`), with its
 * `nestjs-tiered-cache` dependency pointing at `tarball`. An install is reused while the manifest and the
 * tarball are byte-for-byte the same (npm would resolve the same tree from its cache); its sources are
 * copied afresh every time and built with the example's own `npm run build`.
 */
export async function installExample(name: string, tarball: string): Promise<InstalledExample> {
  const source = join(ROOT, 'examples', name);
  const manifest = JSON.parse(await readFile(join(source, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  manifest.dependencies['nestjs-tiered-cache'] = `file:${tarball}`;
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  const hash = createHash('sha256').update(manifestText).update(await readFile(tarball)).digest('hex').slice(0, 16);
  const dir = join(CACHE_DIR, `${name}-${hash}`);
  const record = join(dir, 'install.json');
  let reused = true;
  if (!existsSync(record)) {
    await mkdir(CACHE_DIR, { recursive: true });
    await withLock(join(CACHE_DIR, `${name}.lock`), async () => {
      if (existsSync(record)) return;
      reused = false;
      const scratch = `${dir}.partial`;
      await rm(scratch, { recursive: true, force: true });
      await mkdir(scratch, { recursive: true });
      await writeFile(join(scratch, 'package.json'), manifestText);
      const started = Date.now();
      const { stderr } = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: scratch, timeout: 600_000 });
      const installed = { installMs: Date.now() - started, warnings: npmWarnings(stderr) };
      await writeFile(join(scratch, 'install.json'), JSON.stringify(installed));
      for (const old of await readdir(CACHE_DIR)) {
        if (old.startsWith(`${name}-`) && join(CACHE_DIR, old) !== scratch) await rm(join(CACHE_DIR, old), { recursive: true, force: true });
      }
      await rename(scratch, dir);
    });
  }
  const installed = JSON.parse(await readFile(record, 'utf8')) as { installMs: number; warnings: string[] };
  await rm(join(dir, 'src'), { recursive: true, force: true });
  await rm(join(dir, 'dist'), { recursive: true, force: true });
  await cp(join(source, 'src'), join(dir, 'src'), { recursive: true });
  await cp(join(source, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  await run('npm', ['run', 'build'], { cwd: dir, timeout: 120_000 });
  return { dir, reused, ...installed };
}

/** A running example app. */
export interface RunningExample {
  url: string;
  /** Everything it wrote to stdout and stderr so far. */
  output: () => string;
  /**
   * SIGTERM, then the exit (SIGKILL after 10 s): resolves to `exit <code>` or the signal that ended it (Nest's
   * shutdown hooks close the app, then re-raise the signal: `SIGTERM` is a clean stop).
   */
  stop: () => Promise<string>;
}

/** Starts `node dist/main.js` of an installed example under `nodePath`; resolves once it says where it listens. */
export async function startExample(dir: string, nodePath: string, env: Record<string, string>): Promise<RunningExample> {
  const child: ChildProcess = spawn(nodePath, ['dist/main.js'], { cwd: dir, env: { PATH: process.env.PATH, PORT: '0', ...env } });
  let output = '';
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" within 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (found !== undefined) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      try {
        return await exited;
      } finally {
        clearTimeout(kill);
      }
    },
  };
}
