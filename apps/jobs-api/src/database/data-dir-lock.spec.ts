import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirLock, DataDirLockedError } from './data-dir-lock.js';

describe('DataDirLock', () => {
  const dirs: string[] = [];
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('refuses a second holder in the same process, and frees the folder on release', () => {
    const dir = newDir();
    const lock = DataDirLock.acquire(dir);
    expect(() => DataDirLock.acquire(dir)).toThrow(DataDirLockedError);
    lock.release();
    DataDirLock.acquire(dir).release();
  });

  it('refuses a folder held by another live process', () => {
    const dir = newDir();
    writeFileSync(join(dir, 'jobs-api.lock'), String(process.ppid));
    expect(() => DataDirLock.acquire(dir)).toThrow(DataDirLockedError);
  });

  it('takes over a lock left by a dead process', () => {
    const dir = newDir();
    writeFileSync(join(dir, 'jobs-api.lock'), '2147483646');
    const lock = DataDirLock.acquire(dir);
    expect(readFileSync(join(dir, 'jobs-api.lock'), 'utf8')).toBe(String(process.pid));
    lock.release();
  });

  it('takes over a lock naming our own pid that this process does not hold (a restarted container)', () => {
    const dir = newDir();
    writeFileSync(join(dir, 'jobs-api.lock'), String(process.pid));
    const lock = DataDirLock.acquire(dir);
    expect(() => DataDirLock.acquire(dir)).toThrow(DataDirLockedError);
    lock.release();
  });
});
