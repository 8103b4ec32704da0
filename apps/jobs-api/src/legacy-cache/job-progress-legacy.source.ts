import { PostgresLegacySource, type SqlQueryable } from 'nestjs-tiered-cache/migration';

/** Where the legacy job-progress cache lives; also what `cache:migrate --from` is given (see the README). */
export const JOB_PROGRESS_LEGACY_COLUMNS = {
  table: 'jobs',
  keyColumn: 'id',
  valueColumn: 'job_progress_cache',
  expiresAtColumn: 'job_progress_cache_expires_at',
  mode: 'column',
  // Two writers racing on one job leave the newer progress in the column…
  versionField: 'version',
  // …and only the progress of the row's current version is ever written to it or read from it.
  rowVersionColumn: 'version',
} as const;

/**
 * The `job_progress_cache` column as a legacy source: a cached value is a column of the job's row, so
 * writing updates the existing row and deleting sets the column back to `NULL` (a job row is never
 * created or removed by the cache).
 */
export function createJobProgressLegacySource(db: SqlQueryable): PostgresLegacySource {
  return new PostgresLegacySource({ db, ...JOB_PROGRESS_LEGACY_COLUMNS });
}
