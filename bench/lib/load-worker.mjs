// The load generator's own process (forked by load-generator.mjs): the server under test never shares a
// CPU time slice with the client that measures it. Runs autocannon through its API, plus a raw concurrent
// burst and a progress-updating "worker", each bounded in count and time.
import { Agent, request } from 'node:http';
import autocannon from 'autocannon';
import { recordTimeline } from './latency-timeline.mjs';
import { percentile } from './stats.mjs';

function runAutocannon(o) {
  const paths = o.paths;
  let next = 0;
  const options = {
    url: o.url,
    connections: o.connections ?? 50,
    duration: o.durationSec,
    amount: o.amount,
    overallRate: o.overallRate,
    timeout: o.timeoutSec ?? 10,
    headers: o.headers ?? {},
    // Round-robin over the given paths: deterministic, and every path hit equally often.
    requests: [{ method: o.method ?? 'GET', setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] }) }],
  };
  // autocannon rejects an explicit `duration: undefined` (an `amount` run has none): drop unset options.
  for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key];
  return new Promise((resolve, reject) => {
    let timeline;
    const instance = autocannon(options, (error, result) => {
      if (error) return reject(error);
      const codes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, v.count]));
      resolve({
        ...(timeline ? { timeline: timeline() } : {}),
        requests: result.requests.total,
        durationSec: result.duration,
        rps: result.requests.total / result.duration,
        latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, avg: result.latency.average },
        errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, ok: result['2xx'], statusCodes: codes,
        // autocannon counts each timeout in `errors` too: adding `timeouts` again would count it twice.
        failed: result.errors + result.non2xx,
      });
    });
    // `o.timelineMs`: also record latency per interval (the Redis outage plot draws it over time).
    if (o.timelineMs) timeline = recordTimeline(instance, o.timelineMs);
  });
}

function once(agent, url, path, { method = 'GET', body, headers = {}, timeoutMs = 10_000 } = {}) {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(`${url}${path}`, {
      agent, method, timeout: timeoutMs,
      headers: { ...headers, ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6, cache: res.headers['x-cache'] }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    if (payload) req.write(payload);
    req.end();
  });
}

/** Every path requested at the same moment, each on its own connection. */
async function runBurst(o) {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const started = Date.now();
  const results = await Promise.all(o.paths.map((p) => once(agent, o.url, p, { headers: o.headers })));
  agent.destroy();
  const statuses = {};
  const cache = {};
  for (const r of results) {
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.cache) cache[r.cache] = (cache[r.cache] ?? 0) + 1;
  }
  const ms = results.map((r) => r.ms);
  return { requests: results.length, wallMs: Date.now() - started, statuses, cache, latency: { p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms) } };
}

/** PATCHes every job's progress once per `intervalMs` for `durationMs`, like a render farm reporting in. */
async function runWorker(o) {
  const agent = new Agent({ keepAlive: true, maxSockets: o.maxSockets ?? 20 });
  const deadline = Date.now() + o.durationMs;
  const ms = [];
  let patches = 0;
  let failures = 0;
  let tick = 0;
  while (Date.now() < deadline && tick < 100_000) {
    const tickStart = Date.now();
    tick += 1;
    const results = await Promise.all(o.ids.map((id) => once(agent, o.url, `/api/v2/jobs/${id}/progress`, {
      method: 'PATCH', headers: o.headers, body: { scenesCompleted: Math.min(o.scenesTotal, tick), currentStage: `stage-${tick}` },
    })));
    for (const r of results) {
      patches += 1;
      if (r.status !== 200) failures += 1;
      ms.push(r.ms);
    }
    const wait = o.intervalMs - (Date.now() - tickStart);
    if (wait > 0 && Date.now() + wait < deadline) await new Promise((r) => setTimeout(r, wait));
    else if (wait > 0) break;
  }
  agent.destroy();
  return { patches, failures, ticks: tick, latency: { p50: percentile(ms, 50), p99: percentile(ms, 99) } };
}

const commands = { autocannon: runAutocannon, burst: runBurst, worker: runWorker };

process.on('message', (msg) => {
  const fn = commands[msg.cmd];
  const reply = (payload) => process.send?.({ id: msg.id, ...payload });
  if (!fn) return reply({ error: `unknown command ${msg.cmd}` });
  fn(msg.opts).then((result) => reply({ result }), (error) => reply({ error: error instanceof Error ? error.stack : String(error) }));
});
process.on('disconnect', () => process.exit(0));
