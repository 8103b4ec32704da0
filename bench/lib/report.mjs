// Writes BENCHMARKS.md from one run's results: the commit measured, machine, versions, command line, then one
// table per scenario with medians, min–max, p50/p99 and ours ÷ each variant, the goals met or missed, and
// the plots (SVG, written beside it under bench/plots/).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { commitLabel, commitLine } from './commit.mjs';
import { fmt } from './log.mjs';
import { writePlots } from './plots/index.mjs';
import { ratio } from './stats.mjs';
import { HTTP_VARIANTS } from './variants.mjs';
import { BATCH_OPS, LIBRARY_OPS, ONE_CALLER } from '../scenarios/library-ops.scenario.mjs';

const x = (v) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '–');

function httpTable(results, bytes) {
  const ours = results.ours?.rps.median;
  const rows = Object.entries(results).map(([name, r]) => `| ${HTTP_VARIANTS[name].label} | ${fmt(r.rps.median)} | ${fmt(r.rps.min)}–${fmt(r.rps.max)} | ${fmt(r.p50.median, 1)} | ${fmt(r.p99.median, 1)} | ${r.failed} | ${bytes?.[name] ?? '–'} | ${name === 'ours' ? '1.00×' : x(ratio(ours, r.rps.median))} |`);
  return ['| variant | req/s (median) | min–max | p50 ms | p99 ms | failed | body bytes | ours ÷ variant |', '|---|---:|---:|---:|---:|---:|---:|---:|', ...rows].join('\n');
}

function coldTable(cold) {
  const rows = Object.entries(cold).map(([name, r]) => `| ${HTTP_VARIANTS[name].label} | ${r.polls} polls / ${r.jobs} jobs | ${r.cold.db.reads} | ${r.warm.db.reads} | ${fmt(r.cold.latency.p50, 1)} / ${fmt(r.cold.latency.p99, 1)} | ${JSON.stringify(r.cold.statuses)} |`);
  return ['| variant | burst | PostgreSQL reads, cold | reads, same burst warm | cold p50 / p99 ms | statuses |', '|---|---|---:|---:|---:|---|', ...rows].join('\n');
}

function mixTable(mix) {
  const rows = Object.entries(mix).map(([name, r]) => `| ${HTTP_VARIANTS[name].label} | ${fmt(r.polls)} (${r.failedPolls} failed) | ${fmt(r.patches)} (${r.failedPatches} failed) | ${r.db.reads} | ${fmt(r.readsPer1000Polls, 1)} | ${fmt(r.dbHitRate, 1)} % | ${r.cacheHitRate === undefined ? '–' : `${fmt(r.cacheHitRate, 1)} %`} | ${fmt(r.pollP99, 1)} | ${r.patchP99 === undefined ? '–' : fmt(r.patchP99, 1)} |`);
  return ['| variant | polls | progress updates | poll reads | reads per 1 000 polls | hit rate (from PostgreSQL) | hit rate (its own stats) | poll p99 ms | update p99 ms |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|', ...rows].join('\n');
}

function outageTable(outage) {
  const rows = [];
  for (const [name, r] of Object.entries(outage)) {
    if (r.error) { rows.push(`| ${HTTP_VARIANTS[name].label} | error: ${r.error.split('\n')[0]} | | | | | |`); continue; }
    for (const p of r.phases) rows.push(`| ${HTTP_VARIANTS[name].label} | ${p.label} | ${fmt(p.rps)} | ${fmt(p.p50, 1)} | ${fmt(p.p99, 1)} | ${fmt(p.max, 1)} | ${p.failed} |`);
  }
  return ['| variant | phase | req/s | p50 ms | p99 ms | max ms | failed |', '|---|---|---:|---:|---:|---:|---:|', ...rows].join('\n');
}

function libraryTable(lib) {
  const names = Object.keys(lib.ops.getL1 ?? {});
  const cell = (c) => (c?.error ? 'unavailable' : !c || c.unsupported ? 'n/a' : `${fmt(c.median)} (${fmt(c.min)}–${fmt(c.max)})${c.perFloor === undefined ? '' : ` · ${x(c.perFloor)} floor`}${c.busyRounds ? ` ⚠ ${c.busyRounds} busy` : ''}${c.errors ? ` ⚠ ${c.errors} errors` : ''}`);
  const rows = Object.entries(LIBRARY_OPS).map(([op, label]) => {
    const ours = lib.ops[op].ours?.median;
    const floor = lib.ops[op].ours?.floor?.median;
    return `| ${label} | ${names.map((n) => cell(lib.ops[op][n])).join(' | ')} | ${fmt(floor)}${lib.floorOp && lib.floorOp[op] !== op ? ` (${lib.floorOp[op]})` : ''} | ${names.filter((n) => n !== 'ours').map((n) => `${n} ${x(ratio(ours, lib.ops[op][n]?.median))}`).join(', ')} |`;
  });
  return [`| operation | ${names.join(' | ')} | raw-ioredis floor, same rounds | ours ÷ |`, `|---|${names.map(() => '---:|').join('')}---:|---|`, ...rows].join('\n');
}

function batchTable(lib) {
  const one = (op) => lib.ops[`${op}${ONE_CALLER}`]?.ours;
  const rows = Object.entries(BATCH_OPS).map(([op, b]) => {
    const batch = lib.ops[op]?.ours;
    const single = lib.ops[b.oneByOne]?.ours;
    const floor = lib.ops[op]?.['raw-ioredis']?.median;
    const floorSingle = lib.ops[b.oneByOne]?.['raw-ioredis']?.median;
    const floorCell = Number.isFinite(floor) ? `${fmt(floor)} / ${fmt(floorSingle)} (${x(ratio(floor, floorSingle))})` : '–';
    if (!batch || batch.unsupported || batch.error) return `| ${b.label} | n/a (${batch?.error ?? 'no such API'}) | ${fmt(single?.median)} | – | – | ${floorCell} |`;
    return `| ${b.label} | ${fmt(batch.median)} (${fmt(batch.min)}–${fmt(batch.max)}) | ${fmt(single?.median)} (${fmt(single?.min)}–${fmt(single?.max)}) | **${x(ratio(batch.median, single?.median))}** | ${fmt(one(op)?.median)} / ${fmt(one(b.oneByOne)?.median)} = ${x(ratio(one(op)?.median, one(b.oneByOne)?.median))} | ${floorCell} |`;
  });
  return ['| operation (ours, keys/s) | batch call, 50 callers | same keys one call at a time (awaited in turn), 50 callers | batch ÷ one by one | one caller: batch / one by one | raw ioredis, 50 callers: MGET / GET one by one |', '|---|---:|---:|---:|---:|---:|', ...rows].join('\n');
}

function busyNote(lib) {
  const repeats = lib.repeats ?? [];
  const kept = Object.values(lib.ops).flatMap((byLib) => Object.values(byLib)).reduce((s, c) => s + (c?.busyRounds ?? 0), 0);
  return `Busy-machine check: a measurement during which other processes used more than ${lib.foreignCpuLimit ?? '–'} cores (from /proc, the measured child, Redis and the harness left out) was repeated, up to 3 attempts; ${repeats.length} repeats in this run, ${kept} measurements kept although still disturbed (marked ⚠ busy). A MONITOR client on Redis stops the run.`;
}

function libraryProfiles(profiles) {
  if (!profiles) return [];
  const s = ['### Where ours spends its time, per operation (self time, top functions)', ''];
  for (const [name, ops] of Object.entries(profiles)) {
    for (const [op, p] of Object.entries(ops)) {
      s.push(`**${name} · ${LIBRARY_OPS[op] ?? BATCH_OPS[op]?.label ?? op}** (\`${p.file}\`, ${p.samples} samples, ${fmt(p.opsPerSec)} ops/s while profiled): ${p.top.map((t) => `${t.fn} ${t.selfPct.toFixed(1)} % (${t.where || 'native'})`).join('; ')}`, '');
    }
  }
  return s;
}

function goalsTable(goals) {
  const rows = goals.map((g) => `| ${g.status === 'MISSED' ? '**MISSED**' : g.status} | ${g.text} | ${g.actual ?? '–'} | ${g.target} | ${g.note ?? ''} |`);
  return ['| status | goal | this run | target | note |', '|---|---|---:|---|---|', ...rows].join('\n');
}

/** Where the plots go, relative to the report. */
const PLOTS_DIR = 'bench/plots';

/** Renders and writes the Markdown report at `path`, and its plots under `bench/plots/` beside it. */
export function writeReport(path, run) {
  const r = run.results;
  const plots = Object.fromEntries(writePlots(join(dirname(path), PLOTS_DIR), run, commitLabel(run)).map((p) => [p.file, `![${p.alt}](${PLOTS_DIR}/${p.file})`]));
  const plot = (file) => (plots[file] ? [plots[file], ''] : []);
  const s = [];
  s.push('# Benchmarks', '', `Written by \`bench/run.mjs\` on ${run.startedAt} (${run.mode} mode, ${fmt(run.elapsedSec)} s). Raw figures: \`${run.resultsFile}\`.`, '');
  s.push(`Measured: ${commitLine(run)}.`, '');
  s.push(run.mode === 'quick' ? '> Quick mode: 1 s samples, 2 rounds. On this shared 2-core machine the HTTP ratios of a quick run swing by ±30 % between runs; judge a hot-path change by the full run (`npm run bench`, 5 rounds × 10 s).\n' : '');
  s.push('Absolute figures on a shared 2-core machine mean little alone: read the ratios, all taken from this one run, variants interleaved across rounds, each variant in its own process and the load generator (autocannon, via its API) in another.', '');
  s.push('## Machine and versions', '', `- Command: \`${run.command}\``, `- Machine: ${run.env.machine.cpu}, ${run.env.machine.cores} cores, ${run.env.machine.memoryGiB} GiB, ${run.env.machine.os}; load average at start ${run.env.machine.loadavg.join(' / ')}`);
  s.push(`- Versions: ${Object.entries(run.env.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  s.push(`- Settings: ${run.opts.jobs} jobs seeded; TTL ${run.opts.ttlSeconds} s; HTTP rounds ${run.opts.rounds} × ${run.opts.durationSec} s (after a warm-up of ${run.opts.warmupRequests ? `${run.opts.warmupRequests} requests` : `${run.opts.warmupSec} s`}), 50 connections; library rounds ${run.opts.libRounds} × ${run.opts.libSec} s, 50 callers`);
  if (!run.oursAvailable) s.push('', `> **ours was not measured**: ${run.oursUnavailableReason}. Every ratio to ours is "–" and its goals are "not measured".`);
  s.push('', '## Goals', '', goalsTable(r.goals), '');
  if (r.warmPoll || r.spread) s.push('## Warm-poll throughput (scenarios 1 and 2)', '', ...plot('warm-poll-throughput.svg'));
  if (r.warmPoll) s.push('## 1. Warm poll of one job', '', httpTable(r.warmPoll, r.payloadBytes), '');
  if (r.spread) s.push(`## 2. Polls spread over ${r.spreadJobs} jobs (every cache warmed before each of its rounds)`, '', httpTable(r.spread, r.payloadBytes), '');
  if (r.coldBurst && Object.keys(r.coldBurst).length) s.push('## 3. Cold burst', '', 'All polls in flight at once, round-robin over the jobs. Reads = SELECTs on the variant\'s table outside a transaction, counted on the wire by a proxy in front of PostgreSQL.', '', coldTable(r.coldBurst), '');
  if (r.mix && Object.keys(r.mix).length) s.push('## 4. Realistic mix', '', `Pollers at ${run.opts.mixRate} polls/s over 100 active jobs for ${run.opts.mixSec} s while a worker PATCHes each job once a second. The seed's figure: 40 polls → 4–6 queries (100–150 per 1 000).`, '', ...plot('postgres-reads-per-1000-polls.svg'), mixTable(r.mix), '');
  if (r.outage) s.push('## 5. Redis killed and restarted under load', '', `Each variant on its own redis-server; 100 warm jobs, 50 connections, request timeout ${run.opts.outageTimeoutSec} s.`, '', ...plot('redis-kill-p99.svg'), outageTable(r.outage), '');
  if (r.library) s.push('## 6. Library operations (one process per library, 50 concurrent callers, ops/s median (min–max))', '', 'L1 hit and set and getOrLoad use each library\'s two-tier setup (in-memory + Redis); L2 hit uses a Redis-only instance. raw-ioredis = auto-pipelined GET + JSON.parse (set: SET EX; getOrLoad: GET, then SET), no L1. ours runs with strict coherence and its bus on, as a group of two (its L2-only twin acknowledges every write).', '', libraryTable(r.library), '', 'Each cell: median ops/s (min–max) · the median over rounds of its ratio to the raw-ioredis figure of the same work in the same round (for L1 hits: raw GET). ours-nobus = ours with the invalidation bus off; bentocache-bus = BentoCache with its Redis bus.', '', busyNote(r.library), '', '### Batch operations (ours)', '', batchTable(r.library), '', ...libraryProfiles(r.libraryProfiles), ...Object.entries(r.library.errors).map(([n, e]) => `- ${n} unavailable: ${e}`), '');
  if (r.profile) s.push('## Profile of ours on the warm poll (self time, top functions)', '', `From \`${r.profile.file}\`: ${r.profile.samples} busy samples (${r.profile.idleSamples} idle samples left out), ${run.opts.profileSec} s of warm polls of one job, 50 connections.`, '', '| self % | function | where |', '|---:|---|---|', ...r.profile.top.map((t) => `| ${t.selfPct.toFixed(1)} | ${t.fn} | ${t.where} |`), '');
  writeFileSync(path, `${s.join('\n')}\n`);
}
