// Plot: PostgreSQL reads per 1 000 polls in the realistic mix (scenario 4), next to the seed's 100–150.
import { fmt } from '../log.mjs';
import { HTTP_VARIANTS } from '../variants.mjs';
import { renderSvg, titled, VARIANT_COLORS } from './svg-chart.mjs';

/** SVG of reads per 1 000 polls by variant; `undefined` when the run has no scenario 4. */
export function postgresReadsPlot(run, commit) {
  const mix = run.results.mix;
  if (!mix || Object.keys(mix).length === 0) return undefined;
  const names = Object.keys(HTTP_VARIANTS).filter((n) => mix[n]).reverse();
  return renderSvg({
    title: titled(`PostgreSQL reads per 1 000 polls (${fmt(run.opts.mixRate)} polls/s over 100 jobs for ${run.opts.mixSec} s, each updated every second)`, run, commit),
    grid: { left: 290, right: 120, top: 80, bottom: 50 },
    xAxis: { type: 'value', name: 'reads per 1 000 polls (counted on the wire; lower is better)', nameLocation: 'middle', nameGap: 26 },
    yAxis: { type: 'category', data: names.map((n) => HTTP_VARIANTS[n].label), axisLabel: { width: 270, overflow: 'truncate' } },
    series: [{
      type: 'bar',
      data: names.map((n) => ({ value: mix[n].readsPer1000Polls, itemStyle: { color: VARIANT_COLORS[n] } })),
      label: { show: true, position: 'right', formatter: ({ dataIndex }) => `${fmt(mix[names[dataIndex]].readsPer1000Polls, 1)} (${fmt(mix[names[dataIndex]].db.reads)} reads)` },
      markArea: {
        silent: true,
        itemStyle: { color: 'rgba(255, 160, 0, 0.18)' },
        label: { position: 'insideTop', color: '#8a5a00', fontSize: 10 },
        data: [[{ name: 'the seed: 40 polls → 4–6 queries', xAxis: 100 }, { xAxis: 150 }]],
      },
    }],
  }, { height: 320 });
}
