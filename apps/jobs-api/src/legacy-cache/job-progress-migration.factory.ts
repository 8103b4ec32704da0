import type { CacheLogger } from 'nestjs-tiered-cache';
import type { MigrationPhase, NamespaceMigrationOptions, SqlQueryable } from 'nestjs-tiered-cache/migration';
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
 * The `job` namespace's way from the `job_progress_cache` column to our tiers, as the cache module takes it
 * (`RedisCacheModule.forRoot({ migrations: { job: … } })`): the library then reads and writes every
 * `job:<id>` entry through it; `version` makes promotions and copies versioned writes.
 */
export function jobProgressMigration<T extends VersionedJob>(db: SqlQueryable, settings: JobProgressMigrationSettings): NamespaceMigrationOptions<T> {
  return {
    legacy: createJobProgressLegacySource(db),
    phase: settings.phase,
    ttl: settings.ttlSeconds,
    version: (job) => job.version,
    legacyTimeoutMs: settings.legacyTimeoutMs ?? 250,
    logger: settings.logger,
  };
}
