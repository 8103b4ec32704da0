#!/usr/bin/env node
// `npm run demo [-- --url http://127.0.0.1:3000] [--jobs 3] [--step-ms 800] [--client id] [--job id …] [--token t]`
// A simulated render worker: creates a few jobs (or takes existing ones with --job) and advances them through
// their stages with PATCH /api/v2/jobs/:id/progress, so the page at / shows bars moving. It needs the admin
// token when auth is on (--token, or ADMIN_TOKEN as the service reads it); with auth off, nothing.
import { parseArgs } from 'node:util';
import { apiClient, DemoError } from './demo/api-client.mjs';
import { DEMO_JOBS, stagesOf } from './demo/stages.mjs';

const USAGE = `usage: npm run demo -- [--url URL] [--jobs N (1-${DEMO_JOBS.length})] [--step-ms MS] [--client ID] [--job ID ...] [--token TOKEN]`;

function options() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:3000' },
      token: { type: 'string', default: process.env.ADMIN_TOKEN || undefined },
      client: { type: 'string' },
      jobs: { type: 'string', default: '3' },
      'step-ms': { type: 'string', default: '800' },
      job: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', default: false },
    },
  });
  const jobs = Number(values.jobs);
  const stepMs = Number(values['step-ms']);
  const ids = values.job.map(Number);
  if (values.help) return { help: true };
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > DEMO_JOBS.length) throw new DemoError(`--jobs must be 1-${DEMO_JOBS.length}\n${USAGE}`);
  if (!Number.isInteger(stepMs) || stepMs < 10 || stepMs > 60_000) throw new DemoError(`--step-ms must be 10-60000\n${USAGE}`);
  if (ids.some((id) => !Number.isSafeInteger(id) || id < 1)) throw new DemoError(`--job takes a job id\n${USAGE}`);
  return { url: values.url, token: values.token, client: values.client, jobs, stepMs, ids };
}

/** The jobs to advance: the given ones, or new ones (owned by --client, or by the caller). */
async function jobsToRun(api, o) {
  if (o.ids.length > 0) return Promise.all(o.ids.map((id) => api.get(id)));
  const created = [];
  for (const spec of DEMO_JOBS.slice(0, o.jobs)) {
    created.push(await api.create({ ...spec, ...(o.client ? { clientId: o.client } : {}) }).catch((error) => {
      if (error instanceof DemoError && /clientId is required/.test(error.message)) throw new DemoError('with auth on, the admin creates jobs for a client: pass --client <clientId>');
      throw error;
    }));
  }
  return created;
}

/** One tick per step: every job still running takes its next step; job i starts i ticks late. */
async function run(o) {
  const api = apiClient(o.url, o.token);
  const jobs = await jobsToRun(api, o);
  const plans = jobs.map((job, i) => ({ job, steps: stagesOf(job.progress.scenesTotal), next: -i }));
  console.log(`demo: advancing ${jobs.map((j) => `#${j.id}`).join(', ')} on ${o.url}, one step every ${o.stepMs} ms`);
  while (plans.some((p) => p.next < p.steps.length)) {
    await Promise.all(plans.map(async (plan) => {
      const step = plan.steps[plan.next];
      plan.next += 1;
      if (step === undefined) return;
      plan.job = await api.progress(plan.job.id, step);
      const { currentStage, scenesCompleted, scenesTotal, percent } = plan.job.progress;
      console.log(`  #${plan.job.id} ${plan.job.title.padEnd(16)} ${plan.job.status.padEnd(9)} ${String(currentStage ?? '').padEnd(10)} ${scenesCompleted}/${scenesTotal} ${percent} %`);
    }));
    await new Promise((resolve) => setTimeout(resolve, o.stepMs));
  }
  console.log('demo: every job completed');
}

try {
  const o = options();
  if (o.help) console.log(USAGE);
  else await run(o);
} catch (error) {
  if (!(error instanceof DemoError) && !(error instanceof TypeError && error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')) throw error;
  console.error(`demo: ${error.message}${error instanceof DemoError ? '' : `\n${USAGE}`}`);
  process.exitCode = 1;
}
