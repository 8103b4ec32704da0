// Scenario 5: polls while Redis is killed and restarted. Each variant gets its own redis-server on a spare
// port (the shared one is never touched) and is measured in phases: healthy, the first second after the
// kill (the circuit opening), the outage once the circuit is open, and after the restart.
import { BenchRedisServer } from '../lib/redis-server.mjs';
import { progress, fmt } from '../lib/log.mjs';
import { sleep } from '../lib/net.mjs';
import { startServer } from '../lib/server-process.mjs';
import { HTTP_VARIANTS, variantEnv } from '../lib/variants.mjs';
import { pollPath, warm } from '../lib/http-bench.mjs';

const JOBS = 100;
/** Width of the intervals in which the load generator records latency (the plot of p99 over time). */
const BUCKET_MS = 250;

/** One measured phase; `offsetMs` is its start, counted from the start of the healthy phase (`t0`). */
async function phase(ctx, server, paths, label, durationSec, t0) {
  const offsetMs = Date.now() - t0;
  const r = await ctx.load.run('autocannon', { url: server.url, paths, durationSec, connections: 50, timeoutSec: ctx.opts.outageTimeoutSec, timelineMs: BUCKET_MS });
  const failed = r.failed;
  progress(`  outage ${server.name.padEnd(6)} ${label.padEnd(16)} ${fmt(r.rps).padStart(7)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  max ${r.latency.max} ms${failed ? `  ${failed} failed` : ''}`);
  return {
    label, rps: r.rps, p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, failed, requests: r.requests, statusCodes: r.statusCodes,
    offsetMs, durationMs: Date.now() - t0 - offsetMs, timeline: r.timeline,
  };
}

async function outageRun(ctx, name) {
  const redis = await BenchRedisServer.start();
  let server;
  try {
    server = await startServer(name, HTTP_VARIANTS[name].script, { env: variantEnv(ctx, name, { redisUrl: redis.url, prefix: `${ctx.prefix}${name}-outage:` }) });
    const paths = ctx.ids.slice(0, JOBS).map(pollPath);
    await warm(ctx, server, paths);
    // JIT and connection set-up would otherwise land in the healthy p99 and flatter the outage figure.
    await ctx.load.run('autocannon', { url: server.url, paths, amount: 5000, connections: 50 });
    const d = ctx.opts.outageSec;
    const t0 = Date.now();
    const healthy = await phase(ctx, server, paths, 'healthy', d, t0);
    const killedAtMs = Date.now() - t0;
    await redis.kill();
    const opening = await phase(ctx, server, paths, 'killed: first 1 s', 1, t0);
    const down = await phase(ctx, server, paths, 'killed: open', d, t0);
    const restartedAtMs = Date.now() - t0;
    await redis.restart();
    await sleep(200);
    const recovering = await phase(ctx, server, paths, 'restarted', d, t0);
    return { phases: [healthy, opening, down, recovering], p99DeltaMs: down.p99 - healthy.p99, bucketMs: BUCKET_MS, killedAtMs, restartedAtMs };
  } finally {
    await server?.stop();
    await redis.stop();
  }
}

/** Runs scenario 5 for ours and (full mode, or --outage-stock) the stock cache app, which hangs while Redis is down. */
export async function redisOutage(ctx) {
  const names = ctx.httpVariants.filter((n) => n === 'ours' || (n === 'stock' && ctx.opts.outageStock));
  progress(`scenario 5: Redis killed and restarted under load — ${names.join(', ')}, ${ctx.opts.outageSec} s phases, request timeout ${ctx.opts.outageTimeoutSec} s`);
  ctx.results.outage = {};
  for (const name of names) {
    try {
      ctx.results.outage[name] = await outageRun(ctx, name);
    } catch (error) {
      progress(`  outage ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      ctx.results.outage[name] = { error: error instanceof Error ? error.message : String(error) };
    }
  }
}
