import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MigrationConfigError } from '../migration.errors.js';
import type { CopyCounts } from './copy-result.js';

/** Where an interrupted copy resumes: the walk cursor after the last finished batch, and the counts so far. */
export interface CopyCheckpoint {
  format: 1;
  namespace: string;
  /** The legacy store's description: a checkpoint of another store is refused. */
  source: string;
  cursor: string;
  counts: CopyCounts;
  updatedAt: string;
}

/** Persistence of {@link CopyCheckpoint}s (a file by default; a Redis key or a table would do too). */
export interface CopyCheckpointStore {
  /** Describes where checkpoints go, for messages. */
  readonly description: string;
  load(): Promise<CopyCheckpoint | undefined>;
  save(checkpoint: CopyCheckpoint): Promise<void>;
  /** Removes the checkpoint once a copy has finished. */
  clear(): Promise<void>;
}

/**
 * A checkpoint file, replaced atomically (write to a temporary file, then `rename`), so a copy killed at
 * any instant leaves either the previous checkpoint or the new one, never half of one.
 */
export class FileCheckpointStore implements CopyCheckpointStore {
  readonly description: string;

  constructor(private readonly path: string) {
    this.description = path;
  }

  /** The checkpoint, or `undefined` when there is none. @throws MigrationConfigError when the file is unreadable. */
  async load(): Promise<CopyCheckpoint | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new MigrationConfigError(`cannot read checkpoint ${this.path}`, error);
    }
    try {
      const parsed = JSON.parse(text) as CopyCheckpoint;
      if (parsed.format !== 1 || typeof parsed.cursor !== 'string') throw new TypeError('unknown checkpoint format');
      return parsed;
    } catch (error) {
      throw new MigrationConfigError(`checkpoint ${this.path} is corrupt; remove it or pass --restart`, error);
    }
  }

  /** Saves `checkpoint` atomically. */
  async save(checkpoint: CopyCheckpoint): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(checkpoint), 'utf8');
    await rename(temporary, this.path);
  }

  /** Deletes the file (absent is fine). */
  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
