// Phased migration from a legacy cache (re-exported by the library's root index.ts; also the entry the
// `cache:migrate` script loads, so the CLI does not pull in the Nest layer).
export type { LegacyBatch, LegacyEntry, LegacyRecord, LegacySource, LegacyWalkOptions } from './legacy-source.interface.js';
export { PostgresLegacySource, type PostgresLegacySourceOptions, type SqlQueryable } from './sources/postgres-legacy-source.js';
export { KeyvLegacySource, type KeyvLegacySourceOptions } from './sources/keyv-legacy-source.js';
export { CacheManagerLegacySource } from './sources/cache-manager-legacy-source.js';
export { quoteIdentifier } from './sources/sql-identifier.js';
export { MigratingCache, type MigratingCacheOptions, type MigratingResult, type MigrationTarget } from './migrating-cache.js';
export type { AnyNamespaceMigration, NamespaceMigrationOptions } from './namespace-migrations.js';
export { MIGRATION_PHASES, isMigrationPhase, parseMigrationPhases, type MigrationPhase } from './migration-phase.js';
export type { MigrationReadSource, MigrationStats } from './migration-stats.js';
export { registerMigrationMetrics, type MigrationStatsSource } from './migration-metrics.js';
export { LegacyCircuitOpenError, LegacySourceError, LegacyTimeoutError, MigrationConfigError } from './migration.errors.js';
export { copyLegacyEntries, type CopyOptions, type CopyProgress, type CopyTarget } from './copy/legacy-copier.js';
export type { CopyCounts, CopyResult } from './copy/copy-result.js';
export { FileCheckpointStore, type CopyCheckpoint, type CopyCheckpointStore } from './copy/copy-checkpoint.js';
export { openLegacySource, type OpenedLegacySource } from './cli/legacy-spec.js';
export { runCacheMigrateCli, CACHE_MIGRATE_USAGE, type CliContext } from './cli/cache-migrate.cli.js';
