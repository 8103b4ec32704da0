import type { CacheEngine } from '../../engine/cache-engine.js';
import type { CacheLogger } from '../../engine/cache.types.js';
import { ignoreError } from '../../engine/ignored-error.js';
import type { LegacyRecord, LegacySource } from '../legacy-source.interface.js';
import { MigrationConfigError } from '../migration.errors.js';
import type { CopyCheckpointStore } from './copy-checkpoint.js';
import { emptyCounts, type CopyCounts, type CopyResult } from './copy-result.js';
import { RateLimiter } from './rate-limiter.js';

/** What the copy needs of ours. */
export type CopyTarget = Pick<CacheEngine, 'key' | 'getEntry' | 'set' | 'isRedisAvailable'>;

/** Progress after each chunk, for a progress bar. */
export interface CopyProgress extends CopyCounts {
  /** Entries the source reported before the walk (may be approximate), if it can count. */
  total?: number;
  /** Entries walked per second since this run started. */
  perSecond: number;
}

/** Options of {@link copyLegacyEntries}. */
export interface CopyOptions {
  source: LegacySource;
  cache: CopyTarget;
  /** Our namespace: legacy key `k` is copied to `cache.key(namespace, idOf(k))`. */
  namespace: string;
  /** Maps a legacy key to the id under our namespace (default identity). */
  idOf?: (legacyKey: string) => string;
  /** TTL in seconds for legacy entries without an expiry. */
  defaultTtlSeconds: number;
  /** Version of a value, making each copy a versioned write (recommended when values carry one). */
  version?: (value: unknown) => number | undefined;
  /** Entries per batch: one legacy query and one checkpoint per batch (default 500). */
  batchSize?: number;
  /** Upper bound of entries walked per second (default unlimited). */
  ratePerSecond?: number;
  /** Entries in flight against Redis at once (default 64). */
  concurrency?: number;
  /** Read everything, write nothing (not even a checkpoint); counts what would be copied. */
  dryRun?: boolean;
  /** Where to resume from and save progress; absent = no resume. */
  checkpoint?: CopyCheckpointStore;
  /** Ignore an existing checkpoint and start from the top. */
  restart?: boolean;
  /** Stops after the chunk in flight; the checkpoint keeps the last finished batch. */
  signal?: AbortSignal;
  onProgress?: (progress: CopyProgress) => void;
  /** Where a deliberately ignored failure (e.g. the source's optional count) is debug-logged. */
  logger?: CacheLogger;
}

/**
 * Copies the live entries of a legacy store into our tiers with their remaining TTL. An entry ours
 * already holds is left alone (ours is at least as fresh: in `dual-write` and later, every write reaches
 * ours first), so the copy can run while the app serves, and a resumed or repeated run redoes nothing.
 * Memory is bounded by one batch; writes skip L1 (`l1: false`).
 *
 * Resumable: after each batch the walk cursor and the counts are saved; a copy killed at any point
 * resumes after the last saved batch (entries of the unfinished batch are met again and skipped as present).
 *
 * @example
 * const result = await copyLegacyEntries({ source, cache, namespace: 'job-progress', defaultTtlSeconds: 300,
 *   checkpoint: new FileCheckpointStore('.cache-migrate/job-progress.json'), ratePerSecond: 2000 });
 */
export async function copyLegacyEntries(options: CopyOptions): Promise<CopyResult> {
  const started = Date.now();
  const source = options.source;
  if (!source.entries) throw new MigrationConfigError(`${source.description} cannot be walked (no entries())`);
  const batchSize = Math.max(1, Math.min(options.batchSize ?? 500, options.ratePerSecond ? Math.ceil(options.ratePerSecond) : Infinity));
  const chunkSize = Math.max(1, Math.min(options.concurrency ?? 64, batchSize));
  const limiter = new RateLimiter(options.ratePerSecond);
  const dryRun = options.dryRun === true;
  const checkpoint = dryRun ? undefined : options.checkpoint;

  const saved = checkpoint && !options.restart ? await checkpoint.load() : undefined;
  if (saved && (saved.namespace !== options.namespace || saved.source !== source.description)) {
    throw new MigrationConfigError(`checkpoint ${checkpoint!.description} belongs to ${saved.namespace} from ${saved.source}; pass --restart or another --checkpoint`);
  }
  if (options.restart) await checkpoint?.clear();
  const counts: CopyCounts = saved ? { ...saved.counts } : emptyCounts();
  const walkedBefore = counts.scanned;
  const total = await source.count?.().catch((error: unknown) => {
    // Only the progress line's total: the copy itself does not need it.
    ignoreError(error, `legacy count of ${source.description} failed (progress shows no total)`, { logger: options.logger });
    return undefined;
  });
  const progress = (): void => {
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    options.onProgress?.({ ...counts, total, perSecond: Math.round((counts.scanned - walkedBefore) / seconds) });
  };
  const finish = (status: CopyResult['status']): CopyResult => ({
    ...counts, status, dryRun, resumedFrom: saved?.cursor, durationMs: Date.now() - started,
  });

  for await (const batch of source.entries({ batchSize, after: saved?.cursor })) {
    for (let i = 0; i < batch.records.length; i += chunkSize) {
      if (options.signal?.aborted) return finish('interrupted');
      const chunk = batch.records.slice(i, i + chunkSize);
      await limiter.take(chunk.length, options.signal);
      if (options.signal?.aborted) return finish('interrupted');
      if (!options.cache.isRedisAvailable()) return finish('aborted');
      const outcomes = await Promise.all(chunk.map((record) => copyOne(record, options, dryRun)));
      if (!dryRun && outcomes.includes('failed') && !options.cache.isRedisAvailable()) {
        // Redis went away mid-chunk: stop here; the checkpoint still points before this batch.
        return finish('aborted');
      }
      for (const outcome of outcomes) counts[outcome] += 1;
      counts.scanned += chunk.length;
      progress();
    }
    await checkpoint?.save({
      format: 1, namespace: options.namespace, source: source.description, cursor: batch.cursor, counts, updatedAt: new Date().toISOString(),
    });
  }
  await checkpoint?.clear();
  progress();
  return finish('completed');
}

type Outcome = 'copied' | 'skippedExpired' | 'skippedPresent' | 'failed';

async function copyOne(record: LegacyRecord, options: CopyOptions, dryRun: boolean): Promise<Outcome> {
  const now = Date.now();
  let ttlSeconds = options.defaultTtlSeconds;
  if (record.expiresAt !== undefined) {
    const remainingMs = record.expiresAt - now;
    if (remainingMs <= 0) return 'skippedExpired';
    ttlSeconds = Math.max(1, Math.ceil(remainingMs / 1000));
  }
  const key = options.cache.key(options.namespace, options.idOf?.(record.key) ?? record.key);
  if ((await options.cache.getEntry(key)) !== undefined) return 'skippedPresent';
  if (dryRun) return 'copied';
  const version = options.version?.(record.value);
  const accepted = await options.cache.set(key, record.value, { ttlSeconds, version, l1: false });
  if (accepted) return 'copied';
  return options.cache.isRedisAvailable() ? 'skippedPresent' : 'failed';
}
