// Interleaved HTTP measurements: every round runs every variant once, in a rotated order, so a slow patch
// of the machine (another engineer's test run) lands on all variants rather than on one.
import { processTicks } from './busy-check.mjs';
import { httpRequest } from './net.mjs';
import { progress, fmt } from './log.mjs';
import { summarize } from './stats.mjs';

/** The poll path of a job. */
export const pollPath = (id) => `/api/v2/jobs/${id}`;

/** Checks that a variant answers the poll with the API's job shape; returns the body size in bytes. */
export async function checkPayload(server, path, template) {
  const res = await httpRequest(`${server.url}${path}`);
  if (res.status !== 200) throw new Error(`${server.name}: GET ${path} answered ${res.status}: ${res.body.slice(0, 200)}`);
  const body = JSON.parse(res.body);
  const want = Object.keys(template).sort().join(',');
  const got = Object.keys(body).sort().join(',');
  if (want !== got) throw new Error(`${server.name}: payload keys ${got} differ from the API's ${want}`);
  return Buffer.byteLength(res.body);
}

/** Polls every path once (50 at a time) so that the variant's cache holds them. */
export async function warm(ctx, server, paths) {
  const r = await ctx.load.run('autocannon', { url: server.url, paths, amount: paths.length, connections: Math.min(50, paths.length), timeoutSec: 10 });
  if (r.ok !== paths.length) progress(`  warning: warming ${server.name} got ${r.ok}/${paths.length} 2xx (${JSON.stringify(r.statusCodes)})`);
}

/**
 * Runs `rounds` interleaved rounds of autocannon against every server over `paths`, each preceded by
 * `prepare(name)` if given and a short warm-up. Returns `{ [variant]: { rps, p50, p99, errors, runs } }` with median/min/max summaries.
 */
export async function interleaved(ctx, title, servers, paths, { rounds, durationSec, warmupSec, warmupRequests, connections = 50, prepare }) {
  // A warm-up by request count costs a fraction of a second; autocannon's duration has a 1 s granularity.
  const warmup = warmupRequests ? { amount: warmupRequests } : warmupSec > 0 ? { durationSec: warmupSec } : undefined;
  const names = Object.keys(servers);
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const name of order) {
      const url = servers[name].url;
      if (prepare) await prepare(name);
      if (warmup) await ctx.load.run('autocannon', { url, paths, connections, ...warmup });
      const ticks0 = processTicks(servers[name].child.pid);
      const r = await ctx.load.run('autocannon', { url, paths, durationSec, connections });
      // The server's own CPU per answered request: steadier than req/s on a machine others share.
      r.cpuUsPerReq = r.requests > 0 ? ((processTicks(servers[name].child.pid) - ticks0) * 10_000) / r.requests : undefined;
      runs[name].push(r);
      const bad = r.failed;
      progress(`  ${title} round ${round + 1}/${rounds} ${name.padEnd(9)} ${fmt(r.rps).padStart(7)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  ${r.cpuUsPerReq?.toFixed(1)} µs cpu/req${bad ? `  (${bad} failed)` : ''}`);
    }
  }
  return Object.fromEntries(names.map((n) => [n, {
    rps: summarize(runs[n].map((r) => r.rps)),
    p50: summarize(runs[n].map((r) => r.latency.p50)),
    p99: summarize(runs[n].map((r) => r.latency.p99)),
    cpuUsPerReq: summarize(runs[n].map((r) => r.cpuUsPerReq ?? Number.NaN)),
    failed: runs[n].reduce((s, r) => s + r.failed, 0),
    requests: runs[n].reduce((s, r) => s + r.requests, 0),
    runs: runs[n],
  }]));
}
