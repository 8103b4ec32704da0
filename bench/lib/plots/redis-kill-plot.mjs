// Plot: poll latency (p99) through a Redis kill and restart, over time, by variant (scenario 5), and the
// requests that failed. Runs since per-interval recording have a p99 per interval; older runs have one p99
// per phase, drawn across the phase's nominal span.
import { HTTP_VARIANTS } from '../variants.mjs';
import { renderSvg, titled, VARIANT_COLORS } from './svg-chart.mjs';

/** Per interval, from the load generator's timeline: `{ points: [[s, p99|null]], failed: [[s, n]], … }`. */
function fromTimeline(outage) {
  const points = [];
  const failed = [];
  for (const phase of outage.phases) {
    for (const bucket of phase.timeline) {
      const s = (phase.offsetMs + bucket.t + outage.bucketMs / 2) / 1000;
      points.push([s, bucket.answered > 0 ? bucket.p99 : null]);
      failed.push([s, bucket.failed]);
    }
    // A break at the phase's end: a phase whose requests hung has no interval at all.
    points.push([(phase.offsetMs + phase.durationMs) / 1000, null]);
    failed.push([(phase.offsetMs + phase.durationMs) / 1000, null]);
  }
  const last = outage.phases[outage.phases.length - 1];
  return { points, failed, killedAt: outage.killedAtMs / 1000, restartedAt: outage.restartedAtMs / 1000, end: (last.offsetMs + last.durationMs) / 1000 };
}

/** One step per phase at its nominal place: healthy d s, killed 1 s + d s, (200 ms), restarted d s. */
function fromPhases(outage, d) {
  const spans = [[0, d], [d, d + 1], [d + 1, 2 * d + 1], [2 * d + 1.2, 3 * d + 1.2]];
  const points = [];
  const failed = [];
  outage.phases.forEach((phase, i) => {
    const [from, to] = spans[i] ?? spans[spans.length - 1];
    // No request completed in the phase: no latency to show (autocannon reports 0).
    const p99 = phase.requests > 0 ? phase.p99 : null;
    points.push([from, p99], [to, p99], [to, null]);
    failed.push([from, phase.failed], [to, phase.failed], [to, null]);
  });
  return { points, failed, killedAt: d, restartedAt: 2 * d + 1, end: 3 * d + 1.2 };
}

/** SVG of p99 over time through the kill, one line per variant; `undefined` when the run has no scenario 5. */
export function redisKillPlot(run, commit) {
  const outage = run.results.outage;
  const names = Object.keys(outage ?? {}).filter((n) => !outage[n].error);
  if (names.length === 0) return undefined;
  const byTimeline = names.every((n) => outage[n].phases.every((p) => Array.isArray(p.timeline)));
  const series = Object.fromEntries(names.map((n) => [n, byTimeline ? fromTimeline(outage[n]) : fromPhases(outage[n], run.opts.outageSec)]));
  const { killedAt, restartedAt } = series[names[0]];
  // Both grids on one time scale, so a failure sits under the latency of the same moment.
  const end = Math.ceil(Math.max(...names.map((n) => series[n].end)));
  const how = byTimeline ? `p99 of the polls answered in each ${outage[names[0]].bucketMs} ms` : 'p99 of each phase (this run recorded no per-interval timeline)';
  return renderSvg({
    title: titled(`Poll latency through a Redis kill: ${how}`, run, commit),
    legend: { bottom: 0 },
    tooltip: { trigger: 'axis' },
    grid: [{ left: 70, right: 30, top: 90, height: '46%' }, { left: 70, right: 30, bottom: 60, height: '14%' }],
    xAxis: [
      { type: 'value', gridIndex: 0, min: 0, max: end, axisLabel: { show: false } },
      { type: 'value', gridIndex: 1, min: 0, max: end, name: 'seconds since the healthy phase began', nameLocation: 'middle', nameGap: 24 },
    ],
    yAxis: [
      { type: 'value', gridIndex: 0, name: 'p99 ms', min: 0 },
      { type: 'value', gridIndex: 1, name: 'failed', min: 0, splitNumber: 2 },
    ],
    series: names.flatMap((n, i) => [
      {
        name: HTTP_VARIANTS[n].label, type: 'line', step: byTimeline ? undefined : 'end', symbol: 'none', connectNulls: false,
        color: VARIANT_COLORS[n], data: series[n].points,
        markArea: i > 0 ? undefined : {
          silent: true, itemStyle: { color: 'rgba(198, 40, 40, 0.10)' }, label: { color: '#8e0000', fontSize: 11 },
          data: [[{ name: 'Redis killed', xAxis: killedAt }, { xAxis: restartedAt }]],
        },
      },
      {
        name: HTTP_VARIANTS[n].label, type: 'line', xAxisIndex: 1, yAxisIndex: 1, symbol: 'none', connectNulls: false,
        step: byTimeline ? 'middle' : undefined, areaStyle: { opacity: 0.3 }, color: VARIANT_COLORS[n], data: series[n].failed,
      },
    ]),
  }, { height: 460 });
}
