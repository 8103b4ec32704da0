import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The legacy cache of the demonstration: job progress cached in a JSONB column of the job's own row (the
 * shape of the seed's `analytics_cache`), with its expiry beside it. `NULL` = nothing cached. Dropped by
 * `down`, and for good once the `job` namespace has run in phase `only` past the longest TTL.
 */
export class AddJobProgressCache1767312000000 implements MigrationInterface {
  name = 'AddJobProgressCache1767312000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE jobs
        ADD COLUMN job_progress_cache jsonb,
        ADD COLUMN job_progress_cache_expires_at timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE jobs
        DROP COLUMN IF EXISTS job_progress_cache_expires_at,
        DROP COLUMN IF EXISTS job_progress_cache`);
  }
}
