import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Another live process (or this one) already uses the embedded database's folder. */
export class DataDirLockedError extends Error {
  readonly code = 'DATA_DIR_LOCKED';

  constructor(readonly dir: string, readonly ownerPid: number) {
    super(`The embedded database folder ${dir} is in use by process ${ownerPid}; stop it or set DATA_DIR/DATABASE_URL`);
    this.name = 'DataDirLockedError';
    // An operator's problem, not a bug: logged as one line, without a stack.
    this.stack = `${this.name}: ${this.message}`;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive, pid-stamped lock file in a folder. PGlite has no lock of its own, and two processes writing
 * one folder corrupt it. A lock left by a dead process is taken over.
 */
export class DataDirLock {
  /** Lock files this process holds: a file naming our own pid that is not here was left by an earlier
   * process that happened to have the same pid (pid 1 in a restarted container). */
  private static readonly held = new Set<string>();

  private constructor(private readonly file: string) {}

  /** Takes the lock or throws {@link DataDirLockedError}. */
  static acquire(dir: string): DataDirLock {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'jobs-api.lock');
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        writeFileSync(file, String(process.pid), { flag: 'wx' });
        DataDirLock.held.add(file);
        return new DataDirLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
      const ownedByUs = owner === process.pid && DataDirLock.held.has(file);
      const ownedByOther = owner !== process.pid && isAlive(owner);
      if (Number.isInteger(owner) && owner > 0 && (ownedByUs || ownedByOther)) throw new DataDirLockedError(dir, owner);
      // Stale (owner gone, or a torn write): remove and race for it again with `wx`.
      rmSync(file, { force: true });
    }
    throw new DataDirLockedError(dir, -1);
  }

  /** Releases the lock if this process still owns it. */
  release(): void {
    try {
      if (readFileSync(this.file, 'utf8') === String(process.pid)) rmSync(this.file, { force: true });
      DataDirLock.held.delete(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}
