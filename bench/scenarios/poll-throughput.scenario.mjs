// Scenarios 1 and 2: warm poll of one job, then polls spread over every seeded job (10 000 in a full run),
// against all five HTTP variants, interleaved. The variant processes are started once for both.
import { progress } from '../lib/log.mjs';
import { startServer } from '../lib/server-process.mjs';
import { HTTP_VARIANTS, variantEnv } from '../lib/variants.mjs';
import { checkPayload, interleaved, pollPath, warm } from '../lib/http-bench.mjs';

/** Starts every available HTTP variant on the run's database and shared Redis. */
async function startAll(ctx) {
  const started = await Promise.allSettled(ctx.httpVariants.map((name) => startServer(name, HTTP_VARIANTS[name].script, { env: variantEnv(ctx, name) })));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(started.filter((s) => s.status === 'fulfilled').map((s) => s.value.stop()));
    throw failed.reason;
  }
  return Object.fromEntries(started.map((s, i) => [ctx.httpVariants[i], s.value]));
}

/** Runs scenarios 1 and 2; records results in `ctx.results.warmPoll` and `ctx.results.spread`. */
export async function pollThroughput(ctx) {
  const { rounds, durationSec, warmupSec, warmupRequests } = ctx.opts;
  const servers = await startAll(ctx);
  try {
    const one = [pollPath(ctx.ids[0])];
    ctx.results.payloadBytes = {};
    for (const [name, server] of Object.entries(servers)) ctx.results.payloadBytes[name] = await checkPayload(server, one[0], ctx.template);

    if (ctx.wants(1)) {
      progress(`scenario 1: warm poll of one job — ${rounds} rounds × ${durationSec} s × ${Object.keys(servers).length} variants, 50 connections`);
      ctx.results.warmPoll = await interleaved(ctx, 'warm', servers, one, { rounds, durationSec, warmupSec, warmupRequests });
    }
    if (ctx.wants(2)) {
      const all = ctx.ids.map(pollPath);
      progress(`scenario 2: polls spread over ${all.length} jobs — every cache warmed before each of its rounds`);
      // A round cycle (every variant in turn) outlasts the 30 s TTL: without a fresh pass over every job, a
      // cached variant's round would measure reloads from PostgreSQL, not the spread over warm entries.
      const prepare = (name) => (HTTP_VARIANTS[name].cached ? warm(ctx, servers[name], all) : Promise.resolve());
      ctx.results.spread = await interleaved(ctx, 'spread', servers, all, { rounds, durationSec, warmupSec, warmupRequests, prepare });
      ctx.results.spreadJobs = all.length;
    }
  } finally {
    for (const server of Object.values(servers)) await server.stop();
  }
}
