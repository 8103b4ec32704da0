// Scenario 6: library operations in one process per library, 50 concurrent callers, interleaved rounds:
// get-hit L1, get-hit L2, getOrLoad with a miss, set.
import { fileURLToPath } from 'node:url';
import { ChildWorker } from '../lib/child-worker.mjs';
import { progress, fmt } from '../lib/log.mjs';
import { summarize } from '../lib/stats.mjs';
import { LIBRARY_ADAPTERS } from '../library/adapters.mjs';

const workerPath = fileURLToPath(new URL('../library/library-worker.mjs', import.meta.url));

/** Operation ids and their labels, in report order. */
export const LIBRARY_OPS = { getL1: 'get, L1 hit', getL2: 'get, L2 hit', getOrLoad: 'getOrLoad, miss', set: 'set' };

/** Runs scenario 6; `ctx.results.library[op][lib]` = summary of ops/s (or `{ unsupported }` / `{ error }`). */
export async function libraryOps(ctx) {
  const { libRounds, libSec } = ctx.opts;
  progress(`scenario 6: library operations — ${Object.keys(LIBRARY_ADAPTERS).join(', ')}; ${libRounds} rounds × ${libSec} s per op, 50 callers`);
  const workers = {};
  const errors = {};
  for (const name of Object.keys(LIBRARY_ADAPTERS)) {
    const worker = new ChildWorker(workerPath, { timeoutMs: 120_000 });
    try {
      await worker.run('setup', { name, redisUrl: ctx.redisUrl, prefix: `${ctx.prefix}lib:`, value: ctx.template });
      workers[name] = worker;
    } catch (error) {
      errors[name] = error instanceof Error ? error.message : String(error);
      progress(`  ${name}: unavailable — ${errors[name]}`);
      await worker.close();
    }
  }
  const samples = {};
  const names = Object.keys(workers);
  try {
    for (let round = 0; round < libRounds; round++) {
      for (const op of Object.keys(LIBRARY_OPS)) {
        samples[op] ??= {};
        const order = names.map((_, i) => names[(i + round) % names.length]);
        for (const name of order) {
          const r = await workers[name].run('run', { op, durationMs: libSec * 1000, warmupMs: ctx.opts.libWarmupMs, concurrency: 50 });
          if (r.unsupported) continue;
          (samples[op][name] ??= []).push(r);
          progress(`  library round ${round + 1}/${libRounds} ${LIBRARY_OPS[op].padEnd(16)} ${name.padEnd(13)} ${fmt(r.opsPerSec).padStart(10)} ops/s${r.errors ? `  (${r.errors} errors: ${r.firstError})` : ''}`);
        }
      }
    }
  } finally {
    for (const w of Object.values(workers)) {
      await w.run('close').catch((error) => progress(`  close failed: ${error instanceof Error ? error.message : String(error)}`));
      await w.close();
    }
  }
  ctx.results.library = { errors, ops: {} };
  for (const op of Object.keys(LIBRARY_OPS)) {
    ctx.results.library.ops[op] = {};
    for (const name of Object.keys(LIBRARY_ADAPTERS)) {
      const runs = samples[op]?.[name];
      ctx.results.library.ops[op][name] = errors[name] ? { error: errors[name] }
        : runs ? { ...summarize(runs.map((r) => r.opsPerSec)), errors: runs.reduce((s, r) => s + r.errors, 0) } : { unsupported: true };
    }
  }
}
