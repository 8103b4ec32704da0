import type { JobResponse } from './dto/job.response.js';

/** Injection token of the jobs' `CachedRepository<JobEntity, JobResponse>`. */
export const JOB_REPOSITORY = 'JOBS:CACHED_REPOSITORY';

/** A finished job no longer changes but for a delete (which tombstones it): it can live long. */
const FINISHED_TTL_SECONDS = 3600;

/** What the jobs cache: key namespaces, tags and the TTL policy by status. The one place the app names them. */
export const JobCachePolicy = {
  /** Entity entries `job:<id>`: the poll route answers from them (one entry for the entity and the response). */
  jobNamespace: 'job',
  /** Every list entry of one client carries this tag; any change to one of its jobs invalidates it. */
  clientTag: (clientId: string): string => `client:${clientId}`,
  /** The admin's all-clients list. */
  allJobsTag: 'jobs:all',
  /** Queued and running jobs move: `activeTtlSeconds` (CACHE_TTL_SECONDS); completed and failed ones live an hour. */
  ttl:
    (activeTtlSeconds: number) =>
    (job: JobResponse): number =>
      job.status === 'completed' || job.status === 'failed' ? FINISHED_TTL_SECONDS : activeTtlSeconds,
} as const;
