// Scenario 6: library operations in one process per library, 50 concurrent callers, interleaved rounds:
// get-hit L1, get-hit L2, getOrLoad with a miss, set, and the batch operations next to the same keys one by
// one. Raw ioredis runs in every round, so each figure has its floor from the same round beside it. A
// measurement taken while other processes held the CPU is repeated; a MONITOR client on Redis stops the run.
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RedisProbe, startForeignCpu } from '../lib/busy-check.mjs';
import { ChildWorker } from '../lib/child-worker.mjs';
import { progress, fmt } from '../lib/log.mjs';
import { summarizeProfile } from '../lib/profile.mjs';
import { median, ratio, summarize } from '../lib/stats.mjs';
import { BATCH_SIZE, LIBRARY_ADAPTERS } from '../library/adapters.mjs';

const workerPath = fileURLToPath(new URL('../library/library-worker.mjs', import.meta.url));
const profilesDir = fileURLToPath(new URL('../results/profiles/', import.meta.url));

/** Operation ids and their labels, in report order. */
export const LIBRARY_OPS = { getL1: 'get, L1 hit', getL2: 'get, L2 hit', getOrLoad: 'getOrLoad, miss', set: 'set' };

/** Batch operations (keys/s), each with the same keys one call at a time. */
export const BATCH_OPS = {
  mget: { label: `mget of ${BATCH_SIZE} keys (L2)`, oneByOne: 'mgetOneByOne' },
  mset: { label: `mset of ${BATCH_SIZE} keys`, oneByOne: 'msetOneByOne' },
  getOrLoadMany: { label: `getOrLoadMany of ${BATCH_SIZE} misses (loader free)`, oneByOne: 'getOrLoadManyOneByOne' },
  getOrLoadManyDb: { label: `getOrLoadMany of ${BATCH_SIZE} misses (loader reads PostgreSQL)`, oneByOne: 'getOrLoadManyDbOneByOne' },
};

const BATCH_OP_NAMES = new Set(Object.entries(BATCH_OPS).flatMap(([op, b]) => [op, b.oneByOne]));

/** Suffix of the results of a batch operation measured with one caller. */
export const ONE_CALLER = '@1caller';

/** The raw-client floor of each operation: what the same work costs over auto-pipelined ioredis. */
export const FLOOR_OP = {
  getL1: 'getL2', getL2: 'getL2', getOrLoad: 'getOrLoad', set: 'set', mget: 'mget', mgetOneByOne: 'mgetOneByOne',
  [`mget${ONE_CALLER}`]: `mget${ONE_CALLER}`, [`mgetOneByOne${ONE_CALLER}`]: `mgetOneByOne${ONE_CALLER}`,
};

/** CPU of other processes (cores) above which a measurement is repeated, and how often at most. */
const FOREIGN_CPU_LIMIT = 0.35;
const ATTEMPTS = 3;

/** Runs scenario 6; `ctx.results.library.ops[op][lib]` = summary of ops/s (or `{ unsupported }` / `{ error }`). */
export async function libraryOps(ctx) {
  const { libRounds, libSec } = ctx.opts;
  progress(`scenario 6: library operations — ${Object.keys(LIBRARY_ADAPTERS).join(', ')}; ${libRounds} rounds × ${libSec} s per op, 50 callers`);
  const probe = new RedisProbe(ctx.redisUrl);
  await probe.connect();
  const workers = {};
  const pids = {};
  const errors = {};
  const allOps = [...Object.keys(LIBRARY_OPS), ...Object.entries(BATCH_OPS).flatMap(([op, b]) => [op, b.oneByOne])];
  const samples = {};
  const repeats = [];
  try {
    await probe.refuseIfMonitored();
    for (const name of Object.keys(LIBRARY_ADAPTERS)) {
      const worker = new ChildWorker(workerPath, { timeoutMs: 120_000 });
      try {
        await worker.run('setup', { name, redisUrl: ctx.redisUrl, prefix: `${ctx.prefix}lib:`, value: ctx.template, databaseUrl: ctx.db?.url, jobCount: ctx.ids?.length });
        // The worker and the PostgreSQL server processes of its pool (the loaders' work, not another program's).
        pids[name] = await worker.run('pids');
        workers[name] = worker;
      } catch (error) {
        errors[name] = error instanceof Error ? error.message : String(error);
        progress(`  ${name}: unavailable — ${errors[name]}`);
        await worker.close();
      }
    }
    const names = Object.keys(workers);
    const measure = async (name, op, round, extra = {}) => {
      let best;
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        await probe.refuseIfMonitored();
        const foreign = startForeignCpu([process.pid, ...pids[name], probe.pid]);
        const r = await workers[name].run('run', { op, durationMs: libSec * 1000, warmupMs: ctx.opts.libWarmupMs, concurrency: 50, ...extra });
        if (r.unsupported) return r;
        r.foreignCpu = foreign();
        r.attempt = attempt;
        if (!best || (r.foreignCpu ?? 0) < (best.foreignCpu ?? 0)) best = r;
        if (!(r.foreignCpu > FOREIGN_CPU_LIMIT)) break;
        repeats.push({ round, op, name, attempt, foreignCpu: r.foreignCpu, cpuShare: r.cpuShare });
        progress(`  busy machine: ${r.foreignCpu.toFixed(2)} cores used by other processes during ${name} ${op} (its own CPU share ${r.cpuShare.toFixed(2)}); ${attempt < ATTEMPTS ? 'repeating' : 'keeping the least disturbed attempt'}`);
      }
      best.busy = best.foreignCpu > FOREIGN_CPU_LIMIT;
      return best;
    };
    // Batch operations are also measured with one caller: the latency view (a request that needs 20 keys).
    const runs = allOps.flatMap((op) => (BATCH_OP_NAMES.has(op) ? [[op, 50], [op, 1]] : [[op, 50]]));
    for (let round = 0; round < libRounds; round++) {
      for (const [op, concurrency] of runs) {
        const id = concurrency === 1 ? `${op}${ONE_CALLER}` : op;
        samples[id] ??= {};
        const order = names.map((_, i) => names[(i + round) % names.length]);
        for (const name of order) {
          const r = await measure(name, op, round, { concurrency });
          if (r.unsupported) continue;
          r.round = round;
          (samples[id][name] ??= []).push(r);
          progress(`  library round ${round + 1}/${libRounds} ${id.padEnd(27)} ${name.padEnd(14)} ${fmt(r.opsPerSec).padStart(10)} ops/s  cpu ${r.cpuShare.toFixed(2)}${r.foreignCpu === undefined ? '' : `, others ${r.foreignCpu.toFixed(2)}`}${r.errors ? `  (${r.errors} errors: ${r.firstError})` : ''}`);
        }
      }
    }
    ctx.results.libraryProfiles = ctx.opts.libProfile === false ? undefined : await profileOurs(workers, measure);
  } finally {
    for (const w of Object.values(workers)) {
      await w.run('close').catch((error) => progress(`  close failed: ${error instanceof Error ? error.message : String(error)}`));
      await w.close();
    }
    probe.close();
  }
  ctx.results.library = { errors, ops: {}, floorOp: FLOOR_OP, batchSize: BATCH_SIZE, foreignCpuLimit: FOREIGN_CPU_LIMIT, repeats };
  for (const op of Object.keys(samples)) {
    ctx.results.library.ops[op] = {};
    for (const name of Object.keys(LIBRARY_ADAPTERS)) {
      const runs = samples[op]?.[name];
      ctx.results.library.ops[op][name] = errors[name] ? { error: errors[name] }
        : runs ? { ...summarize(runs.map((r) => r.opsPerSec)), errors: runs.reduce((s, r) => s + r.errors, 0), ...perRound(runs, samples[FLOOR_OP[op]]?.['raw-ioredis']) } : { unsupported: true };
    }
  }
}

/**
 * Beside every figure, its floor: the raw client's figure for the same work in the same round, the median of
 * the per-round ratios, and the CPU figures that show whether the round was disturbed.
 */
function perRound(runs, floorRuns) {
  const floorOf = (round) => floorRuns?.find((f) => f.round === round)?.opsPerSec;
  return {
    floor: floorRuns ? summarize(runs.map((r) => floorOf(r.round))) : undefined,
    perFloor: floorRuns ? median(runs.map((r) => ratio(r.opsPerSec, floorOf(r.round)))) : undefined,
    cpuShare: median(runs.map((r) => r.cpuShare)),
    foreignCpu: median(runs.map((r) => r.foreignCpu ?? Number.NaN)),
    busyRounds: runs.filter((r) => r.busy).length,
  };
}

/** One more measurement of each of our operations under the CPU profiler (not counted in the figures). */
async function profileOurs(workers, measure) {
  const out = {};
  mkdirSync(profilesDir, { recursive: true });
  for (const name of ['ours', 'ours-nobus']) {
    if (!workers[name]) continue;
    for (const op of [...Object.keys(LIBRARY_OPS), ...Object.keys(BATCH_OPS)]) {
      const file = `${profilesDir}lib-${name}-${op}.cpuprofile`;
      const r = await measure(name, op, -1, { profileTo: file });
      if (r.unsupported) continue;
      const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), 8);
      (out[name] ??= {})[op] = { file: file.replace(/^.*\/bench\//, 'bench/'), opsPerSec: r.opsPerSec, samples: summary.samples, top: summary.top };
      progress(`  profiled ${name} ${op}: ${summary.top.slice(0, 3).map((t) => `${t.fn} ${t.selfPct.toFixed(1)}%`).join(', ')}`);
    }
  }
  return out;
}
