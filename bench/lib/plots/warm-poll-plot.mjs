// Plot: warm-poll throughput by variant (scenarios 1 and 2), median req/s with the min–max of the rounds.
import { fmt } from '../log.mjs';
import { HTTP_VARIANTS } from '../variants.mjs';
import { renderSvg, titled } from './svg-chart.mjs';

const SCENARIOS = [
  { key: 'warmPoll', name: () => '1. warm poll of one job', color: '#2e7d32' },
  { key: 'spread', name: (r) => `2. polls spread over ${fmt(r.spreadJobs)} jobs`, color: '#81c784' },
];

/** SVG of the median req/s of every variant in scenarios 1 and 2; `undefined` when the run has neither. */
export function warmPollPlot(run, commit) {
  const r = run.results;
  const scenarios = SCENARIOS.filter((s) => r[s.key] && Object.keys(r[s.key]).length > 0);
  if (scenarios.length === 0) return undefined;
  const names = Object.keys(HTTP_VARIANTS).filter((n) => scenarios.some((s) => r[s.key][n])).reverse();
  return renderSvg({
    title: titled(`Warm-poll throughput by variant (median of ${run.opts.rounds} rounds × ${run.opts.durationSec} s, 50 connections)`, run, commit),
    legend: { bottom: 0 },
    grid: { left: 290, right: 150, top: 80, bottom: 60 },
    xAxis: { type: 'value', name: 'req/s', nameLocation: 'middle', nameGap: 24 },
    yAxis: { type: 'category', data: names.map((n) => HTTP_VARIANTS[n].label), axisLabel: { width: 270, overflow: 'truncate' } },
    series: scenarios.map((s) => ({
      name: s.name(r),
      type: 'bar',
      color: s.color,
      label: {
        show: true, position: 'right', fontSize: 10,
        formatter: ({ dataIndex }) => {
          const v = r[s.key][names[dataIndex]];
          return v ? `${fmt(v.rps.median)} (${fmt(v.rps.min)}–${fmt(v.rps.max)})` : '';
        },
      },
      data: names.map((n) => r[s.key][n]?.rps.median ?? null),
    })),
  });
}
