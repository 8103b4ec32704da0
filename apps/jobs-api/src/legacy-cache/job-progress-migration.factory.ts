import { MigratingCache, type CacheLogger, type MigrationPhase, type MigrationTarget, type SqlQueryable } from '@app/redis-cache';
import { createJobProgressLegacySource } from './job-progress-legacy.source.js';

/** What the factory needs; the app passes its typed config (see the integration notes in the README). */
export interface JobProgressMigrationSettings {
  /** From `CACHE_MIGRATION_PHASES=job=dual-write` (parsed by `parseMigrationPhases`); read on every call. */
  phase: () => MigrationPhase;
  /** The jobs' TTL policy (seconds). */
  ttlSeconds: number;
  /** Bound of each legacy call; keep it below the poll's latency budget. */
  legacyTimeoutMs?: number;
  logger?: CacheLogger;
}

/** Shape of a cached job the factory relies on: the row's `version` orders writes. */
export interface VersionedJob {
  version: number;
}

/**
 * The `job` namespace on its way from the `job_progress_cache` column to our tiers. Keys are the same as
 * the jobs service's (`job:<id>`), so switching the service from `CacheService` to this cache moves no
 * entry; `version` makes promotions and copies versioned writes.
 */
export function createJobProgressMigration<T extends VersionedJob>(cache: MigrationTarget, db: SqlQueryable, settings: JobProgressMigrationSettings): MigratingCache<T> {
  return new MigratingCache<T>({
    cache,
    namespace: 'job',
    legacy: createJobProgressLegacySource(db),
    phase: settings.phase,
    ttl: settings.ttlSeconds,
    version: (job) => job.version,
    legacyTimeoutMs: settings.legacyTimeoutMs ?? 250,
    logger: settings.logger,
  });
}
