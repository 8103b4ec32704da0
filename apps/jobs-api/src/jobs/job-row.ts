import { JobEntity } from './job.entity.js';
import type { JobStatus } from './job-status.js';

/** A `jobs` row as `RETURNING *` gives it (snake_case; `bigint` as a string from `pg`). */
export interface JobRow {
  id: string | number;
  client_id: string;
  title: string;
  status: JobStatus;
  current_stage: string | null;
  scenes_completed: number;
  scenes_total: number;
  version: number;
  created_at: Date | string;
  updated_at: Date | string;
}

/** Maps a raw row (from an `UPDATE … RETURNING *`) to the entity, as TypeORM would for a `find`. */
export function jobFromRow(row: JobRow): JobEntity {
  return Object.assign(new JobEntity(), {
    id: Number(row.id),
    clientId: row.client_id,
    title: row.title,
    status: row.status,
    currentStage: row.current_stage,
    scenesCompleted: row.scenes_completed,
    scenesTotal: row.scenes_total,
    version: row.version,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  });
}
