import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JobStatus } from './job-status.js';

/** `bigint` arrives from `pg` as a string; ids are bounded to 2^53−1 at the edge, so a number is exact. */
const bigintAsNumber = { to: (v: number | undefined) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

/** A row of `jobs`. Never a response body: map it with `toJobResponse`. The schema is owned by migrations. */
@Entity({ name: 'jobs' })
@Index('jobs_client_id_id_desc', ['clientId', 'id'])
export class JobEntity {
  @PrimaryColumn({ type: 'bigint', generated: 'identity', generatedIdentity: 'ALWAYS', transformer: bigintAsNumber })
  id: number;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  @Column({ type: 'varchar', length: 200 })
  title: string;

  @Column({ type: 'varchar', length: 16, default: 'queued' })
  status: JobStatus;

  @Column({ name: 'current_stage', type: 'varchar', length: 200, nullable: true })
  currentStage: string | null;

  @Column({ name: 'scenes_completed', type: 'integer', default: 0 })
  scenesCompleted: number;

  @Column({ name: 'scenes_total', type: 'integer', default: 0 })
  scenesTotal: number;

  /** Grows by exactly 1 in the same statement as every accepted update; the cache orders writes by it. */
  @Column({ type: 'integer', default: 1 })
  version: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
