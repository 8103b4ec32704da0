/** Injection token of the job namespace's `MigratingCache` (present only when a phase is configured). */
export const JOB_PROGRESS_MIGRATION = 'LEGACY_CACHE:JOB_PROGRESS_MIGRATION';
