import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The `jobs` table, with the invariants the API promises enforced by the database too. */
export class CreateJobs1767225600000 implements MigrationInterface {
  name = 'CreateJobs1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE jobs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        client_id varchar(64) NOT NULL,
        title varchar(200) NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'queued',
        current_stage varchar(200),
        scenes_completed integer NOT NULL DEFAULT 0,
        scenes_total integer NOT NULL DEFAULT 0,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT jobs_status_check CHECK (status IN ('queued', 'running', 'completed', 'failed')),
        CONSTRAINT jobs_scenes_non_negative CHECK (scenes_completed >= 0 AND scenes_total >= 0),
        CONSTRAINT jobs_scenes_completed_le_total CHECK (scenes_completed <= scenes_total),
        CONSTRAINT jobs_version_positive CHECK (version >= 1)
      )`);
    await queryRunner.query('CREATE INDEX jobs_client_id_id_desc ON jobs (client_id, id DESC)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX IF EXISTS jobs_client_id_id_desc');
    await queryRunner.query('DROP TABLE IF EXISTS jobs');
  }
}
