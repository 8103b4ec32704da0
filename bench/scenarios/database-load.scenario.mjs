// Scenarios 3 and 4: what reaches PostgreSQL. Each variant runs behind its own counting proxy
// (lib/pg-counting-proxy.mjs), so every SELECT it sends is counted the moment it is sent.
// (3) cold burst: 500 concurrent polls of 50 never-polled jobs, then the same 500 again, warm.
// (4) realistic mix: pollers at a fixed rate over 100 active jobs while a worker PATCHes each job's
//     progress once a second; reads per 1 000 polls against the seed's 4–6 per 40 polls.
import { LoadGenerator } from '../lib/load-generator.mjs';
import { httpRequest } from '../lib/net.mjs';
import { progress, fmt } from '../lib/log.mjs';
import { PgCountingProxy } from '../lib/pg-counting-proxy.mjs';
import { startServer } from '../lib/server-process.mjs';
import { HTTP_VARIANTS, variantEnv } from '../lib/variants.mjs';
import { pollPath, warm } from '../lib/http-bench.mjs';

const COLD_JOBS = 50;
const POLLS_PER_JOB = 10;
const ACTIVE_JOBS = 100;

function delta(after, before) {
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));
}

/** The API's own counters, when it serves them (admin route; auth is off in the bench). */
async function cacheStats(server) {
  try {
    const res = await httpRequest(`${server.url}/api/v2/cache/stats`, { timeoutMs: 2000 });
    return res.status === 200 ? JSON.parse(res.body).statistics : undefined;
  } catch (error) {
    progress(`  (no cache stats from ${server.name}: ${error instanceof Error ? error.message : String(error)})`);
    return undefined;
  }
}

async function coldBurst(ctx, name, server, proxy) {
  const jobs = ctx.ids.slice(0, COLD_JOBS);
  // Round-robin over the jobs: the 10 polls of one job are spread through the burst, all in flight at once.
  const paths = Array.from({ length: COLD_JOBS * POLLS_PER_JOB }, (_, i) => pollPath(jobs[i % COLD_JOBS]));
  const before = proxy.snapshot();
  const cold = await ctx.load.run('burst', { url: server.url, paths });
  const afterCold = proxy.snapshot();
  const warmRun = await ctx.load.run('burst', { url: server.url, paths });
  const afterWarm = proxy.snapshot();
  const result = { jobs: COLD_JOBS, polls: paths.length, cold: { ...cold, db: delta(afterCold, before) }, warm: { ...warmRun, db: delta(afterWarm, afterCold) } };
  progress(`  cold burst ${name.padEnd(9)} ${result.cold.db.reads} PostgreSQL reads for ${COLD_JOBS} jobs (warm again: ${result.warm.db.reads}), statuses ${JSON.stringify(cold.statuses)}, p99 ${fmt(cold.latency.p99, 1)} ms`);
  return result;
}

async function mix(ctx, name, server, proxy) {
  const active = ctx.ids.slice(COLD_JOBS, COLD_JOBS + ACTIVE_JOBS);
  const paths = active.map(pollPath);
  await warm(ctx, server, paths);
  const worker = new LoadGenerator();
  try {
    const statsBefore = await cacheStats(server);
    const before = proxy.snapshot();
    const durationMs = ctx.opts.mixSec * 1000;
    const [polls, updates] = await Promise.all([
      ctx.load.run('autocannon', { url: server.url, paths, durationSec: ctx.opts.mixSec, connections: 20, overallRate: ctx.opts.mixRate }),
      worker.run('worker', { url: server.url, ids: active, intervalMs: 1000, durationMs, scenesTotal: ctx.template.progress.scenesTotal || 100 }),
    ]);
    const db = delta(proxy.snapshot(), before);
    const statsAfter = await cacheStats(server);
    const cache = statsBefore && statsAfter
      ? { hits: statsAfter.hits - statsBefore.hits, misses: statsAfter.misses - statsBefore.misses }
      : undefined;
    const result = {
      polls: polls.requests, pollRps: polls.rps, pollP99: polls.latency.p99, failedPolls: polls.failed,
      patches: updates.patches, failedPatches: updates.failures, patchP99: updates.latency.p99, db,
      readsPer1000Polls: (1000 * db.reads) / Math.max(1, polls.requests),
      // A few requests still in flight when autocannon stops reach the database uncounted as polls: clamp.
      dbHitRate: Math.max(0, 100 * (1 - db.reads / Math.max(1, polls.requests))),
      cacheHitRate: cache && cache.hits + cache.misses > 0 ? (100 * cache.hits) / (cache.hits + cache.misses) : undefined,
    };
    progress(`  mix ${name.padEnd(9)} ${fmt(result.polls)} polls, ${fmt(result.patches)} updates → ${db.reads} poll reads (${fmt(result.readsPer1000Polls, 1)} per 1 000 polls), hit rate ${fmt(result.dbHitRate, 1)} %`);
    return result;
  } finally {
    await worker.close();
  }
}

/** Runs scenarios 3 and 4 for ours, the stock cache, the raw floor (3 only) and the uncached app. */
export async function databaseLoad(ctx) {
  const names = ctx.httpVariants.filter((n) => HTTP_VARIANTS[n].table);
  ctx.results.coldBurst = {};
  ctx.results.mix = {};
  if (ctx.wants(3)) progress(`scenario 3: cold burst — ${COLD_JOBS * POLLS_PER_JOB} concurrent polls of ${COLD_JOBS} cold jobs, PostgreSQL reads counted on the wire`);
  for (const name of names) {
    const proxy = new PgCountingProxy(HTTP_VARIANTS[name].table);
    await proxy.listen();
    const server = await startServer(name, HTTP_VARIANTS[name].script, {
      env: variantEnv(ctx, name, { prefix: `${ctx.prefix}${name}-db:`, databaseUrl: proxy.url(ctx.db.url) }),
    });
    try {
      if (ctx.wants(3)) ctx.results.coldBurst[name] = await coldBurst(ctx, name, server, proxy);
      if (ctx.wants(4) && HTTP_VARIANTS[name].patch) {
        progress(`scenario 4: realistic mix on ${name} — ${ACTIVE_JOBS} jobs polled at ${ctx.opts.mixRate}/s for ${ctx.opts.mixSec} s, each updated every second`);
        ctx.results.mix[name] = await mix(ctx, name, server, proxy);
      }
    } finally {
      await server.stop();
      await proxy.close();
    }
  }
}
