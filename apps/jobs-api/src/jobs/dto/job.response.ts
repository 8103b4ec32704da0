import type { JobEntity } from '../job.entity.js';
import type { JobStatus } from '../job-status.js';

/** The job as the API returns it and as the cache stores it: plain JSON, no entity. */
export interface JobResponse {
  id: number;
  clientId: string;
  title: string;
  status: JobStatus;
  progress: {
    currentStage: string | null;
    scenesCompleted: number;
    scenesTotal: number;
    /** floor(100 × completed / total); 100 for a completed job without scenes; else 0. */
    percent: number;
  };
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** The page of `GET /api/v2/jobs`. */
export interface JobListResponse {
  items: JobResponse[];
  /** Pass back as `cursor` for the next page; `null` on the last page. */
  nextCursor: string | null;
}

/** See {@link JobResponse.progress}. */
export function progressPercent(status: JobStatus, scenesCompleted: number, scenesTotal: number): number {
  if (scenesTotal > 0) return Math.floor((100 * scenesCompleted) / scenesTotal);
  return status === 'completed' ? 100 : 0;
}

/** Entity → response body. */
export function toJobResponse(job: JobEntity): JobResponse {
  return {
    id: job.id,
    clientId: job.clientId,
    title: job.title,
    status: job.status,
    progress: {
      currentStage: job.currentStage,
      scenesCompleted: job.scenesCompleted,
      scenesTotal: job.scenesTotal,
      percent: progressPercent(job.status, job.scenesCompleted, job.scenesTotal),
    },
    version: job.version,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
  };
}
