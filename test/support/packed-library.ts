import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

import { CACHE_ROOT, ROOT, withLock } from './cache-dir.js';

export { ROOT } from './cache-dir.js';
export const LIB_DIR = join(ROOT, 'libs', 'redis-cache');
const CACHE_DIR = join(CACHE_ROOT, 'pack');

/** The library's manifest, as far as the packaging tests read it. */
export interface LibraryManifest {
  name: string;
  version: string;
  private?: boolean;
  engines: { node: string };
  exports: Record<string, Record<string, string> | string>;
  files: string[];
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional: boolean }>;
}

export async function libraryManifest(): Promise<LibraryManifest> {
  return JSON.parse(await readFile(join(LIB_DIR, 'package.json'), 'utf8')) as LibraryManifest;
}

/** Every file below `dir` (relative, `/`-separated), sorted. */
export async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/')).sort();
}

/** What the tarball is made of: the library's files (not dist) and the compiler; same inputs, same tarball. */
async function inputsHash(): Promise<string> {
  const hash = createHash('sha256');
  const libFiles = (await filesBelow(LIB_DIR)).filter((f) => !f.startsWith('dist/') && !f.startsWith('node_modules/'));
  const inputs = [...libFiles.map((f) => join(LIB_DIR, f)), join(ROOT, 'tsconfig.json'), join(ROOT, 'node_modules', 'typescript', 'package.json')];
  for (const file of inputs) hash.update(relative(ROOT, file)).update('\0').update(await readFile(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/**
 * The library as `npm pack` makes it (its `prepack` script cleans and builds `dist`), packed at most once per
 * set of inputs: test files running at the same time share one build instead of racing on `dist`.
 */
export async function packedLibrary(): Promise<string> {
  const manifest = await libraryManifest();
  const dir = join(CACHE_DIR, await inputsHash());
  const tarball = join(dir, `${manifest.name}-${manifest.version}.tgz`);
  if (existsSync(tarball)) return tarball;
  await mkdir(CACHE_DIR, { recursive: true });
  return withLock(join(CACHE_DIR, 'lock'), async () => {
    if (existsSync(tarball)) return tarball;
    const scratch = `${dir}.partial`;
    await rm(scratch, { recursive: true, force: true });
    await mkdir(scratch, { recursive: true });
    await run('npm', ['pack', '--pack-destination', scratch, '--silent'], { cwd: LIB_DIR, timeout: 180_000 });
    // Older builds are of other inputs: keep only this one.
    for (const old of await readdir(CACHE_DIR)) {
      if (old !== 'lock' && join(CACHE_DIR, old) !== scratch) await rm(join(CACHE_DIR, old), { recursive: true, force: true });
    }
    await rename(scratch, dir);
    return tarball;
  });
}

/** Unpacks `tarball` into `into` (npm tarballs hold one `package/` folder); returns that folder. */
export async function unpack(tarball: string, into: string): Promise<string> {
  await mkdir(into, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', into], { timeout: 60_000 });
  return join(into, 'package');
}
