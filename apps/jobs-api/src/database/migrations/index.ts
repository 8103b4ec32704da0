import { AddJobProgressCache1767312000000 } from '../../legacy-cache/1767312000000-add-job-progress-cache.migration.js';
import { CreateJobs1767225600000 } from './1767225600000-create-jobs.migration.js';

/**
 * Every migration, oldest first. Listed as classes (not a glob) so the same list works from src and dist.
 * The `job_progress_cache` columns exist whether or not `CACHE_MIGRATION_PHASES` uses them, so switching
 * the demonstration on or off is a configuration change, never a schema change.
 */
export const MIGRATIONS = [CreateJobs1767225600000, AddJobProgressCache1767312000000];
