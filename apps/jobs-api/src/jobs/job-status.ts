/** Lifecycle of a rendering job; the database enforces the same set with a CHECK constraint. */
export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;

export type JobStatus = (typeof JOB_STATUSES)[number];
