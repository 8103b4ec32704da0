// Renders an Apache ECharts option to an SVG string in Node: its server-side renderer needs no DOM or canvas.
// No animation and fixed sizes, so the same results always give the same file.
import * as echarts from 'echarts';

/** Colours of the variants, the same in every plot. */
export const VARIANT_COLORS = { ours: '#2e7d32', stock: '#1565c0', floor: '#6d4c41', ceiling: '#757575', uncached: '#c62828' };

/**
 * @param {object} option an ECharts option (title, axes, series…)
 * @param {{ width?: number, height?: number }} [size]
 * @returns {string} a standalone SVG document
 */
export function renderSvg(option, { width = 900, height = 420 } = {}) {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, backgroundColor: '#ffffff', textStyle: { fontFamily: 'sans-serif' }, ...option });
    return `${chart.renderToSVGString()}\n`;
  } finally {
    chart.dispose();
  }
}

/** The title block every plot carries: what it shows, and which run and commit it comes from. */
export function titled(text, run, commit) {
  return {
    text,
    subtext: `${run.mode} run of ${run.startedAt.slice(0, 19).replace('T', ' ')} UTC · ${commit}`,
    itemGap: 6,
    left: 'center',
    textStyle: { fontSize: 15 },
    subtextStyle: { fontSize: 11, color: '#555' },
  };
}
