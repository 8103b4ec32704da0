import { Global, Logger, Module } from '@nestjs/common';
import { CacheService } from 'nestjs-tiered-cache';
import type { AnyNamespaceMigration, SqlQueryable } from 'nestjs-tiered-cache/migration';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.types.js';
import { JobCachePolicy } from '../jobs/job-cache-policy.js';
import { jobProgressMigration } from './job-progress-migration.factory.js';
import { JOB_PROGRESS_MIGRATION } from './legacy-cache.constants.js';

/**
 * The cache module's `migrations` for this service: the `job` namespace over the `job_progress_cache`
 * column when `CACHE_MIGRATION_PHASES` names it, nothing otherwise. Queries go through the app's TypeORM
 * `DataSource`; the phase is read once at boot (a phase change is a config change + restart).
 */
export function legacyCacheMigrations(config: AppConfig, dataSource: DataSource): Record<string, AnyNamespaceMigration> {
  const phase = config.cache.migrationPhases.job;
  if (phase === undefined) return {};
  const db: SqlQueryable = { query: async (text, values) => ({ rows: await dataSource.query<unknown[]>(text, values) }) };
  return {
    [JobCachePolicy.jobNamespace]: jobProgressMigration(db, { phase: () => phase, ttlSeconds: config.cache.ttlSeconds, logger: new Logger('LegacyCache') }),
  };
}

/**
 * Provides {@link JOB_PROGRESS_MIGRATION}: the `job` namespace's `MigratingCache` (which the cache module
 * built from {@link legacyCacheMigrations}), or `null` when nothing migrates — for its metrics. Global, so
 * the metrics module can inject the token without importing this module.
 */
@Global()
@Module({
  providers: [{
    provide: JOB_PROGRESS_MIGRATION,
    inject: [CacheService],
    useFactory: (cache: CacheService) => cache.migration(JobCachePolicy.jobNamespace) ?? null,
  }],
  exports: [JOB_PROGRESS_MIGRATION],
})
export class LegacyCacheModule {}
