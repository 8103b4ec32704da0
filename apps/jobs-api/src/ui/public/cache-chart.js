// The cache panel's chart (Apache ECharts, served by the app from node_modules): on top, the share of reads
// answered by L1, by L2 and missed (stacked to 100 %); below, loads per second. Red bands mark the intervals in
// which Redis was unavailable or its circuit not closed.

import * as echarts from 'echarts';

/** Series colours; the browser test looks for the L1 area by its colour. */
export const COLORS = { l1: '#2e7d32', l2: '#1565c0', miss: '#c62828', loads: '#6a1b9a' };

/** @typedef {import('./cache-reading.js').Point} Point */

/** @param {Point[]} points @returns {[{ xAxis: number }, { xAxis: number }][]} */
function degradedBands(points) {
  /** @type {[{ xAxis: number }, { xAxis: number }][]} */
  const bands = [];
  for (let i = 0; i < points.length; i++) {
    if (!points[i].degraded) continue;
    const from = i > 0 ? points[i - 1].at : points[i].at - 2000;
    const last = bands[bands.length - 1];
    if (last && last[1].xAxis === from) last[1].xAxis = points[i].at;
    else bands.push([{ xAxis: from }, { xAxis: points[i].at }]);
  }
  return bands;
}

/** @param {'l1' | 'l2' | 'miss'} key @param {string} name @param {Point[]} points */
function shareSeries(key, name, points) {
  return {
    name, type: 'line', stack: 'reads', areaStyle: { opacity: 0.85 }, symbol: 'none', connectNulls: false,
    color: COLORS[key], lineStyle: { width: 1, color: COLORS[key] },
    data: points.map((p) => [p.at, p[key]]),
  };
}

export class CacheChart {
  /** @param {HTMLElement} container */
  constructor(container) {
    this.chart = echarts.init(container, null, { renderer: 'svg' });
    window.addEventListener('resize', () => this.chart.resize());
  }

  /** @param {Point[]} points oldest first */
  show(points) {
    const l1 = shareSeries('l1', 'L1 hit', points);
    this.chart.setOption({
      animation: false,
      legend: { top: 0 },
      tooltip: { trigger: 'axis' },
      grid: [{ top: 30, height: '48%', left: 48, right: 16 }, { bottom: 24, height: '20%', left: 48, right: 16 }],
      xAxis: [{ type: 'time', gridIndex: 0, axisLabel: { show: false } }, { type: 'time', gridIndex: 1 }],
      yAxis: [
        { type: 'value', gridIndex: 0, min: 0, max: 100, name: '% of reads', nameGap: 8 },
        { type: 'value', gridIndex: 1, min: 0, name: 'loads/s', nameGap: 8, splitNumber: 2 },
      ],
      series: [
        { ...l1, markArea: { silent: true, itemStyle: { color: 'rgba(198, 40, 40, 0.15)' }, data: degradedBands(points) } },
        shareSeries('l2', 'L2 hit', points),
        shareSeries('miss', 'miss', points),
        {
          name: 'loads/s', type: 'line', xAxisIndex: 1, yAxisIndex: 1, symbol: 'none', color: COLORS.loads,
          data: points.map((p) => [p.at, p.loadsPerSecond]),
        },
      ],
    });
  }
}
