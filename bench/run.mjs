// `npm run bench [-- --quick] [--only=1,2,6] [--profile|--no-profile]`: every comparison variant and ours,
// side by side in one run, results in bench/results/<date>.json and BENCHMARKS.md at the repo root.
// `node bench/run.mjs --report-only=bench/results/<run>.json` rewrites BENCHMARKS.md and its plots
// (bench/plots/*.svg) from a stored run (goals re-evaluated by the current bench/lib/goals.mjs), measuring
// nothing.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { connectBench, createBenchDatabase, dropBenchDatabase, serverVersion } from './lib/postgres.mjs';
import { deleteKeysByPrefix } from './lib/redis-cleanup.mjs';
import { LoadGenerator } from './lib/load-generator.mjs';
import { elapsedSeconds, progress } from './lib/log.mjs';
import { stopAllServers } from './lib/server-process.mjs';
import { HTTP_VARIANTS, oursBuilt } from './lib/variants.mjs';
import { describeCommit } from './lib/commit.mjs';
import { describeEnvironment } from './lib/environment.mjs';
import { evaluateGoals } from './lib/goals.mjs';
import { profileOurs } from './lib/profile.mjs';
import { writeReport } from './lib/report.mjs';
import { seed } from './lib/seed.mjs';
import { pollThroughput } from './scenarios/poll-throughput.scenario.mjs';
import { databaseLoad } from './scenarios/database-load.scenario.mjs';
import { redisOutage } from './scenarios/redis-outage.scenario.mjs';
import { libraryOps } from './scenarios/library-ops.scenario.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const value = (name) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];

// autocannon ticks in whole seconds: a fractional duration is rounded up, so durations here are integers.
const MODES = {
  quick: { rounds: 2, durationSec: 1, warmupRequests: 2000, jobs: 10_000, mixSec: 3, mixRate: 1000, outageSec: 1, outageTimeoutSec: 2, outageStock: false, libRounds: 1, libSec: 0.5, libWarmupMs: 100, profileSec: 2, ttlSeconds: 30 },
  full: { rounds: 5, durationSec: 10, warmupSec: 2, jobs: 10_000, mixSec: 15, mixRate: 2000, outageSec: 5, outageTimeoutSec: 5, outageStock: true, libRounds: 5, libSec: 3, libWarmupMs: 300, profileSec: 8, ttlSeconds: 30 },
};
const reportOnly = value('report-only');
if (reportOnly) {
  const stored = JSON.parse(readFileSync(reportOnly, 'utf8'));
  stored.results.goals = evaluateGoals(stored.results);
  writeReport(`${root}BENCHMARKS.md`, stored);
  progress(`wrote BENCHMARKS.md and bench/plots/ from ${reportOnly}`);
  process.exit(0);
}
const mode = flag('quick') ? 'quick' : 'full';
const only = value('only')?.split(',').map(Number);
const opts = { ...MODES[mode], ...(value('jobs') ? { jobs: Number(value('jobs')) } : {}), ...(value('rounds') ? { rounds: Number(value('rounds')) } : {}), ...(flag('outage-stock') ? { outageStock: true } : {}), ...(flag('no-profile') ? { libProfile: false } : {}),
  ...(value('lib-rounds') ? { libRounds: Number(value('lib-rounds')) } : {}) };

const runId = randomBytes(4).toString('hex');
const ctx = {
  opts, runId, prefix: `bench-${runId}-`, redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  results: { errors: {} }, wants: (n) => !only || only.includes(n),
  oursAvailable: oursBuilt() && !flag('no-ours'),
  oursUnavailableReason: oursBuilt() ? 'skipped by --no-ours' : 'dist/apps/jobs-api/src/main.js is missing (npm run build)',
};

async function cleanup() {
  await stopAllServers();
  await ctx.load?.close();
  if (ctx.pg) await ctx.pg.end().catch((error) => progress(`pg close: ${error.message}`));
  if (ctx.db) await dropBenchDatabase(ctx.db.name).then(() => progress(`dropped database ${ctx.db.name}`), (error) => progress(`drop ${ctx.db.name} failed: ${error.message}`));
  const removed = await deleteKeysByPrefix(ctx.redisUrl, ctx.prefix).catch((error) => { progress(`key cleanup failed: ${error.message}`); return 0; });
  progress(`removed ${removed} Redis keys under ${ctx.prefix}*`);
}

async function scenario(name, fn) {
  try {
    await fn(ctx);
  } catch (error) {
    ctx.results.errors[name] = error instanceof Error ? error.message : String(error);
    progress(`${name} FAILED: ${ctx.results.errors[name]}`);
    await stopAllServers();
  }
}

let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  progress('interrupted: cleaning up');
  void cleanup().finally(() => process.exit(130));
});

const startedAt = new Date();
// Taken before anything is measured: the report names the commit whose code ran.
const commit = describeCommit();
try {
  progress(`${mode} run ${runId}: ${JSON.stringify(opts)}`);
  ctx.db = await createBenchDatabase();
  ctx.pg = await connectBench(ctx.db.url);
  ctx.load = new LoadGenerator();
  progress(`database ${ctx.db.name}; Redis keys under ${ctx.prefix}*`);
  ctx.env = describeEnvironment(await serverVersion(ctx.pg));
  try {
    await seed(ctx);
  } catch (error) {
    if (!ctx.oursAvailable) throw error;
    ctx.oursAvailable = false;
    ctx.oursUnavailableReason = `the jobs API did not serve the contract: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`;
    progress(`ours unavailable (${ctx.oursUnavailableReason}); measuring the other variants`);
    await seed(ctx);
  }
  ctx.httpVariants = Object.keys(HTTP_VARIANTS).filter((n) => n !== 'ours' || ctx.oursAvailable);
  if (ctx.wants(1) || ctx.wants(2)) await scenario('poll throughput', pollThroughput);
  if (ctx.wants(3) || ctx.wants(4)) await scenario('database load', databaseLoad);
  if (ctx.wants(5)) await scenario('redis outage', redisOutage);
  if (ctx.wants(6)) await scenario('library', libraryOps);
  ctx.results.goals = evaluateGoals(ctx.results);
  const missedHttp = ctx.results.goals.some((g) => g.status === 'MISSED' && /^(warm|spread)/.test(g.id));
  if (ctx.oursAvailable && !flag('no-profile') && (flag('profile') || missedHttp)) {
    await scenario('profile', async () => { ctx.results.profile = await profileOurs(ctx, `${root}bench/results/profiles`, opts.profileSec); });
  }
} finally {
  if (!interrupted) await cleanup();
}

const stamp = startedAt.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
mkdirSync(`${root}bench/results`, { recursive: true });
const resultsFile = `bench/results/${stamp}${mode === 'quick' ? '-quick' : ''}.json`;
const run = {
  startedAt: startedAt.toISOString(), mode, command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`, commit, opts,
  elapsedSec: elapsedSeconds(), env: ctx.env, oursAvailable: ctx.oursAvailable, oursUnavailableReason: ctx.oursAvailable ? undefined : ctx.oursUnavailableReason,
  resultsFile, results: ctx.results,
};
writeFileSync(`${root}${resultsFile}`, `${JSON.stringify(run, null, 2)}\n`);
writeReport(`${root}BENCHMARKS.md`, run);
progress(`wrote ${resultsFile} and BENCHMARKS.md in ${elapsedSeconds().toFixed(0)} s`);
for (const g of ctx.results.goals ?? []) progress(`  ${g.status.padEnd(12)} ${g.text}: ${g.actual ?? '–'} (target ${g.target})`);
for (const [name, error] of Object.entries(ctx.results.errors)) progress(`  scenario error — ${name}: ${error.split('\n')[0]}`);
