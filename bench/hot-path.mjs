// A/B micro-benchmark of the hot paths, for judging one change at a time (the full harness is `run.mjs`).
//
//   node bench/hot-path.mjs --http --builds=before:/tmp/a,after:/tmp/b [--rounds=5] [--seconds=2] [--jobs=10000]
//   node bench/hot-path.mjs --lib  --builds=before:/tmp/a,after:/tmp/b [--rounds=5] [--ms=700] [--ops=getL2,set,miss,…]
//   node bench/hot-path.mjs --http --builds=after:/tmp/b --profile=after   (a CPU profile of one build's warm poll)
//
// A "build" is a directory holding `apps/jobs-api/src/main.js` and `libs/redis-cache/src/index.js`
// (`bench/build-snapshot.mjs <dir>` writes one from the work tree). --http: every build serves the jobs API on
// its own database rows and Redis prefix, next to the Fastify framework-constant ceiling; rounds interleave
// the variants and the report gives medians and each build's ratio to the ceiling and to the first build.
// --lib: each build's CacheEngine in its own process (L1 hit, L2 hit, getOrLoad L1/L2 hit, set and miss with
// the bus on and off), next to raw auto-pipelined ioredis (GET + JSON.parse, SET, GET then SET), 50 concurrent callers, interleaved rounds, medians.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { interleaved, pollPath, warm } from './lib/http-bench.mjs';
import { LoadGenerator } from './lib/load-generator.mjs';
import { progress } from './lib/log.mjs';
import { httpRequest, sleep } from './lib/net.mjs';
import { connectBench, createBenchDatabase, dropBenchDatabase } from './lib/postgres.mjs';
import { summarizeProfile } from './lib/profile.mjs';
import { deleteKeysByPrefix } from './lib/redis-cleanup.mjs';
import { startServer, stopAllServers } from './lib/server-process.mjs';
import { median } from './lib/stats.mjs';
import { HTTP_VARIANTS } from './lib/variants.mjs';
import { defaultJob } from './variants/job-shape.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k, v ?? true];
}));
const builds = String(args.builds ?? '').split(',').filter(Boolean).map((spec) => {
  const [name, dir] = spec.split(':');
  if (!existsSync(`${dir}/apps/jobs-api/src/main.js`)) throw new Error(`${dir} holds no build (apps/jobs-api/src/main.js)`);
  return { name, dir };
});
if (builds.length === 0) throw new Error('give --builds=name:dir[,name:dir…]');
const rounds = Number(args.rounds ?? 5);
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `bench-hp-${randomBytes(4).toString('hex')}-`;
const here = (p) => fileURLToPath(new URL(p, import.meta.url));

function table(title, rows, cols) {
  progress(`\n${title}`);
  for (const row of rows) progress(`  ${cols.map((c) => String(row[c] ?? '').padStart(c === 'variant' ? 16 : 12)).join(' ')}`);
}

async function http() {
  const db = await createBenchDatabase();
  const pg = await connectBench(db.url);
  const load = new LoadGenerator();
  const ctx = { load };
  const template = { id: 1 };
  const env = (name) => ({
    DATABASE_URL: db.url, REDIS_URL: redisUrl, CACHE_TTL_SECONDS: '60', CACHE_PREFIX: `${prefix}${name}:`,
    LOG_LEVEL: 'warn', NODE_ENV: 'development', AUTH_TOKENS: undefined, ADMIN_TOKEN: undefined,
  });
  try {
    const servers = {};
    for (const b of builds) {
      const host = args.profile === b.name ? here('./lib/profile-host.mjs') : `${b.dir}/apps/jobs-api/src/main.js`;
      const extra = args.profile === b.name
        ? { BENCH_PROFILE_TARGET: `${b.dir}/apps/jobs-api/src/main.js`, BENCH_PROFILE_OUT: `/tmp/hp-${b.name}.cpuprofile` }
        : {};
      servers[b.name] = await startServer(b.name, host, { env: { ...env(b.name), ...extra } });
    }
    const first = servers[builds[0].name];
    const created = await httpRequest(`${first.url}/api/v2/jobs`, { method: 'POST', body: { title: 'Render: bench scene set', scenesTotal: 120 } });
    const job = JSON.parse(created.body);
    await httpRequest(`${first.url}/api/v2/jobs/${job.id}/progress`, { method: 'PATCH', body: { status: 'running', currentStage: 'render', scenesCompleted: 42 } });
    const jobs = Number(args.jobs ?? 0);
    if (jobs > 1) {
      const { rows } = await pg.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'jobs' AND column_name <> 'id'
        AND is_generated = 'NEVER' AND identity_generation IS NULL`);
      const cols = rows.map((r) => `"${r.column_name}"`).join(', ');
      await pg.query(`INSERT INTO jobs (${cols}) SELECT ${cols} FROM jobs CROSS JOIN generate_series(1, $2) WHERE id = $1`, [job.id, jobs - 1]);
    }
    const probe = await httpRequest(`${first.url}/api/v2/jobs/${job.id}`);
    Object.assign(template, JSON.parse(probe.body));
    servers.ceiling = await startServer('ceiling', HTTP_VARIANTS.ceiling.script, { env: { BENCH_JOB_JSON: JSON.stringify(template), LOG_LEVEL: 'warn' } });
    servers.fastify = await startServer('fastify', HTTP_VARIANTS.fastify.script, { env: { BENCH_JOB_JSON: JSON.stringify(template), LOG_LEVEL: 'warn' } });
    const warmPaths = [pollPath(job.id)];
    for (const s of Object.values(servers)) await warm(ctx, s, warmPaths);
    if (args.profile) {
      const s = servers[args.profile];
      s.child.kill('SIGWINCH');
      await sleep(100);
      await load.run('autocannon', { url: s.url, paths: warmPaths, durationSec: Number(args.seconds ?? 3), connections: 50 });
      s.child.kill('SIGWINCH');
      const file = `/tmp/hp-${args.profile}.cpuprofile`;
      for (let i = 0; i < 50 && !existsSync(file); i++) await sleep(200);
      await sleep(500);
      const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), Number(args.top ?? 30));
      progress(`profile ${file}: ${summary.samples} busy samples, ${summary.idleSamples} idle`);
      for (const e of summary.top) progress(`  ${e.selfPct.toFixed(1).padStart(5)}  ${e.fn}  ${e.where}`);
      return;
    }
    const opts = { rounds, durationSec: Number(args.seconds ?? 2), warmupRequests: 2000 };
    const report = (title, res) => {
      const ceil = res.ceiling?.rps.median;
      const fast = res.fastify?.rps.median;
      const base = res[builds[0].name].rps.median;
      table(title, Object.entries(res).map(([variant, r]) => ({
        variant, 'req/s': Math.round(r.rps.median), 'cpu µs/req': r.cpuUsPerReq.median.toFixed(1), p99: r.p99.median, failed: r.failed,
        '÷ceiling': ceil ? (r.rps.median / ceil).toFixed(2) : '', '÷fastify': fast ? (r.rps.median / fast).toFixed(2) : '', [`÷${builds[0].name}`]: (r.rps.median / base).toFixed(2),
        'runs': r.runs.map((x) => Math.round(x.rps / 100) / 10).join('/'),
      })), ['variant', 'req/s', 'cpu µs/req', 'p99', 'failed', '÷ceiling', '÷fastify', `÷${builds[0].name}`, 'runs']);
    };
    report('warm poll of one job', await interleaved(ctx, 'warm', servers, warmPaths, opts));
    if (jobs > 1) {
      const ids = (await pg.query('SELECT id FROM jobs ORDER BY id')).rows.map((r) => Number(r.id));
      const paths = ids.map(pollPath);
      for (const b of builds) await warm(ctx, servers[b.name], paths);
      report(`polls over ${ids.length} jobs`, await interleaved(ctx, 'spread', servers, paths, opts));
    }
  } finally {
    await stopAllServers();
    await load.close();
    await pg.end();
    await dropBenchDatabase(db.name);
  }
}

function libWorker(build) {
  const child = fork(here('./library/hot-path-worker.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let seq = 0;
  const pending = new Map();
  child.on('message', (m) => { pending.get(m.id)?.(m); pending.delete(m.id); });
  const call = (cmd, opts) => new Promise((resolve, reject) => {
    const id = ++seq;
    pending.set(id, (m) => (m.error ? reject(new Error(`${build.name}: ${m.error}`)) : resolve(m.result)));
    child.send({ id, cmd, opts });
  });
  return { call, stop: () => child.disconnect() };
}

async function lib() {
  const value = defaultJob(1);
  const variants = [...builds.map((b) => ({ ...b, kind: 'ours' })), { name: 'raw-ioredis', kind: 'raw' }];
  const workers = {};
  for (const v of variants) {
    workers[v.name] = libWorker(v);
    await workers[v.name].call('setup', { kind: v.kind, dir: v.dir, redisUrl, prefix: `${prefix}${v.name}:`, value });
  }
  const ops = String(args.ops ?? 'getL1,getOrLoadL1,getL2,getOrLoadL2,set,miss,setNoBus,missNoBus').split(',');
  const samples = {};
  const cpuSamples = {};
  try {
    for (let round = 0; round < rounds; round++) {
      for (const op of ops) {
        const order = variants.map((_, i) => variants[(i + round) % variants.length]);
        for (const v of order) {
          const r = await workers[v.name].call('run', { op, durationMs: Number(args.ms ?? 700), warmupMs: 200, concurrency: 50 });
          if (r.unsupported) continue;
          (samples[op] ??= {})[v.name] ??= [];
          samples[op][v.name].push(r.opsPerSec);
          ((cpuSamples[op] ??= {})[v.name] ??= []).push(r.cpuUsPerOp);
        }
      }
      progress(`lib round ${round + 1}/${rounds} done`);
    }
  } finally {
    for (const w of Object.values(workers)) {
      await w.call('close').catch((error) => progress(`close: ${error.message}`));
      w.stop();
    }
    await deleteKeysByPrefix(redisUrl, prefix);
  }
  for (const op of ops) {
    const base = median(samples[op][builds[0].name]);
    table(op, Object.entries(samples[op]).map(([variant, s]) => ({
      variant, 'ops/s': Math.round(median(s)), [`÷${builds[0].name}`]: (median(s) / base).toFixed(2),
      '÷raw': samples[op]['raw-ioredis'] ? (median(s) / median(samples[op]['raw-ioredis'])).toFixed(2) : '',
      runs: s.map((x) => Math.round(x / 1000)).join('/'),
      'cpu µs/op': median(cpuSamples[op][variant]).toFixed(2),
    })), ['variant', 'ops/s', `÷${builds[0].name}`, '÷raw', 'runs', 'cpu µs/op']);
  }
}

mkdirSync('/tmp', { recursive: true });
try {
  if (args.http) await http();
  if (args.lib) await lib();
} finally {
  await deleteKeysByPrefix(redisUrl, prefix).catch((error) => progress(`key cleanup: ${error.message}`));
}
process.exit(0);
