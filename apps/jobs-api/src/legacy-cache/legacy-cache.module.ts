import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { CacheService, type MigrationPhase, type SqlQueryable } from '@app/redis-cache';
import { DataSource } from 'typeorm';
import { createJobProgressMigration } from './job-progress-migration.factory.js';
import { JOB_PROGRESS_MIGRATION } from './legacy-cache.constants.js';

/** Settings of {@link LegacyCacheModule}, taken from the app's validated config. */
export interface LegacyCacheModuleSettings {
  /** The `job` namespace's phase (from `CACHE_MIGRATION_PHASES`); `undefined` = demonstration off. */
  phase: MigrationPhase | undefined;
  ttlSeconds: number;
  /** Bound of each legacy call in ms (default 250: well inside a poll's budget). */
  legacyTimeoutMs?: number;
}

/**
 * The demonstration's wiring: provides {@link JOB_PROGRESS_MIGRATION}, a `MigratingCache` of the `job`
 * namespace over the `job_progress_cache` column, or `null` when no phase is configured (the jobs
 * service then keeps using `CacheService` directly). Queries go through the app's TypeORM `DataSource`.
 * Global, so the jobs' repository and the metrics module can inject the token without importing this module.
 */
@Module({})
export class LegacyCacheModule {
  /** Registers the provider; `settings` is read once at boot (a phase change is a config change + restart). */
  static register(settings: LegacyCacheModuleSettings): DynamicModule {
    return {
      module: LegacyCacheModule,
      global: true,
      providers: [{
        provide: JOB_PROGRESS_MIGRATION,
        inject: [CacheService, DataSource],
        useFactory: (cache: CacheService, dataSource: DataSource) => {
          const phase = settings.phase;
          if (phase === undefined) return null;
          const db: SqlQueryable = { query: async (text, values) => ({ rows: await dataSource.query<unknown[]>(text, values) }) };
          return createJobProgressMigration(cache, db, {
            phase: () => phase, ttlSeconds: settings.ttlSeconds, legacyTimeoutMs: settings.legacyTimeoutMs, logger: new Logger('LegacyCache'),
          });
        },
      }],
      exports: [JOB_PROGRESS_MIGRATION],
    };
  }
}
