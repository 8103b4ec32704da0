import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Where the packaging tests keep what is slow to make and the same for the same inputs (the packed
 * library, the examples' installs, Node binaries): under node_modules, so `git status` never sees it and
 * `npm ci` starts afresh.
 */
export const CACHE_ROOT = join(ROOT, 'node_modules', '.cache', 'nestjs-tiered-cache');

/** Waits for a directory lock (mkdir is atomic); a lock older than 5 minutes is a crashed run's and is taken over. */
export async function withLock<T>(lock: string, work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (await stat(lock).then((s) => s.mtimeMs, () => Date.now()));
      if (age > 300_000) await rm(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

