// The one job shape every HTTP variant returns, so that each serves the same payload as the jobs API:
// { id, clientId, title, status, progress: { currentStage, scenesCompleted, scenesTotal, percent },
//   version, createdAt, updatedAt }. Competitor variants read the harness's own table `bench_jobs`.

/** DDL of the competitors' table (the jobs API keeps its own `jobs` table, created by its migrations). */
export const BENCH_JOBS_DDL = `
CREATE TABLE IF NOT EXISTS bench_jobs (
  id bigint PRIMARY KEY,
  client_id text NOT NULL,
  title text,
  status text NOT NULL,
  current_stage text,
  scenes_completed integer NOT NULL,
  scenes_total integer NOT NULL,
  version integer NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
)`;

/** percent = floor(100 × done / total); 100 for a completed job with no scenes, else 0 (the API's rule). */
export function percentOf(status, scenesCompleted, scenesTotal) {
  if (scenesTotal > 0) return Math.floor((100 * scenesCompleted) / scenesTotal);
  return status === 'completed' ? 100 : 0;
}

/** Maps a `bench_jobs` row (snake_case, as `pg` returns it) to the API's job JSON. */
export function rowToJob(row) {
  return {
    id: Number(row.id),
    clientId: row.client_id,
    title: row.title,
    status: row.status,
    progress: {
      currentStage: row.current_stage,
      scenesCompleted: row.scenes_completed,
      scenesTotal: row.scenes_total,
      percent: percentOf(row.status, row.scenes_completed, row.scenes_total),
    },
    version: row.version,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** A job as the fallback template when the jobs API is not there to give us a real one. */
export function defaultJob(id = 1) {
  const now = new Date().toISOString();
  return {
    id, clientId: 'local', title: `bench job ${id}`, status: 'running',
    progress: { currentStage: 'render', scenesCompleted: 10, scenesTotal: 100, percent: 10 },
    version: 1, createdAt: now, updatedAt: now,
  };
}

/**
 * Inserts `ids` into bench_jobs with the template's content (one statement, fast for 10 000 rows).
 * Idempotent: existing ids are left alone.
 */
export async function seedBenchJobs(client, ids, template) {
  await client.query(BENCH_JOBS_DDL);
  await client.query(
    `INSERT INTO bench_jobs (id, client_id, title, status, current_stage, scenes_completed, scenes_total, version, created_at, updated_at)
     SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $9 FROM unnest($1::bigint[]) AS id
     ON CONFLICT (id) DO NOTHING`,
    [ids, template.clientId, template.title, template.status, template.progress.currentStage,
      template.progress.scenesCompleted, template.progress.scenesTotal, template.version, template.createdAt],
  );
  await client.query('ANALYZE bench_jobs');
}

/** Applies a progress PATCH body to a bench_jobs row in one statement (version bumped), returning the row. */
export const UPDATE_PROGRESS_SQL = `
UPDATE bench_jobs SET
  status = coalesce($2, status),
  current_stage = CASE WHEN $3::boolean THEN $4 ELSE current_stage END,
  scenes_completed = coalesce($5, scenes_completed),
  scenes_total = coalesce($6, scenes_total),
  version = version + 1,
  updated_at = now()
WHERE id = $1
RETURNING *`;

/** Parameters for {@link UPDATE_PROGRESS_SQL} from a PATCH body. */
export function updateParams(id, body) {
  return [id, body.status ?? null, Object.hasOwn(body, 'currentStage'), body.currentStage ?? null,
    body.scenesCompleted ?? null, body.scenesTotal ?? null];
}
