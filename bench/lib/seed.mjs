// Seeds the run's database: N jobs in the jobs API's own table (created by its migrations) and the same
// N jobs, same content, in bench_jobs for the competitors. One job is created through the API, then cloned
// in SQL (10 000 rows in well under a second, and whatever the API's columns are).
import { httpRequest } from './net.mjs';
import { progress } from './log.mjs';
import { startServer } from './server-process.mjs';
import { HTTP_VARIANTS, variantEnv } from './variants.mjs';
import { defaultJob, seedBenchJobs } from '../variants/job-shape.mjs';

async function cloneJobsRows(pgClient, templateId, count) {
  const { rows } = await pgClient.query(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'jobs' AND column_name <> 'id'
        AND is_generated = 'NEVER' AND identity_generation IS NULL`);
  const cols = rows.map((r) => `"${r.column_name.replace(/"/g, '""')}"`).join(', ');
  await pgClient.query(`INSERT INTO jobs (${cols}) SELECT ${cols} FROM jobs CROSS JOIN generate_series(1, $2) WHERE id = $1`, [templateId, count]);
  await pgClient.query('ANALYZE jobs');
  const ids = await pgClient.query('SELECT id FROM jobs ORDER BY id');
  return ids.rows.map((r) => Number(r.id));
}

/**
 * Seeds `ctx.opts.jobs` jobs. Sets `ctx.ids` (the jobs' ids, identical in both tables) and `ctx.template`
 * (the API's JSON for a job, the payload every variant returns). Without the jobs API, uses a default job.
 */
export async function seed(ctx) {
  const n = ctx.opts.jobs;
  if (!ctx.oursAvailable) {
    ctx.ids = Array.from({ length: n }, (_, i) => i + 1);
    ctx.template = defaultJob(1);
  } else {
    const server = await startServer('ours (migrate + seed)', HTTP_VARIANTS.ours.script, { env: variantEnv(ctx, 'seed') });
    try {
      const created = await httpRequest(`${server.url}/api/v2/jobs`, { method: 'POST', body: { title: 'Render: bench scene set', scenesTotal: 120 } });
      if (created.status !== 201) throw new Error(`POST /api/v2/jobs answered ${created.status}: ${created.body.slice(0, 200)}`);
      const first = JSON.parse(created.body);
      const patched = await httpRequest(`${server.url}/api/v2/jobs/${first.id}/progress`, { method: 'PATCH', body: { status: 'running', currentStage: 'render', scenesCompleted: 42 } });
      if (patched.status !== 200) throw new Error(`PATCH progress answered ${patched.status}: ${patched.body.slice(0, 200)}`);
      ctx.ids = await cloneJobsRows(ctx.pg, first.id, n - 1);
      const probe = await httpRequest(`${server.url}/api/v2/jobs/${ctx.ids[ctx.ids.length - 1]}`);
      if (probe.status !== 200) throw new Error(`GET of a cloned job answered ${probe.status}: ${probe.body.slice(0, 200)}`);
      ctx.template = JSON.parse(probe.body);
    } finally {
      await server.stop();
    }
  }
  await seedBenchJobs(ctx.pg, ctx.ids, ctx.template);
  progress(`seeded ${ctx.ids.length} jobs (ids ${ctx.ids[0]}–${ctx.ids[ctx.ids.length - 1]}) in ${ctx.oursAvailable ? 'jobs and ' : ''}bench_jobs`);
}
