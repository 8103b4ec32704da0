// Draws the dashboard's panels from Prometheus query results with ECharts (server-side SVG), as one HTML page.
import * as echarts from 'echarts';

const WIDTH = 520;
const HEIGHT = 300;

function formatter(unit) {
  switch (unit) {
    case 's': return (v) => (v >= 1 ? `${v.toFixed(2)} s` : `${(v * 1000).toFixed(v < 0.01 ? 2 : 0)} ms`);
    case 'percentunit': return (v) => `${(v * 100).toFixed(0)} %`;
    case 'reqps': return (v) => `${v.toFixed(0)}/s`;
    case 'ops': return (v) => `${v.toFixed(1)}/s`;
    default: return (v) => `${Number(v.toFixed(2))}`;
  }
}

/** One panel: `series` is [{ name, points: [[ms, value], …] }]. */
export function panelSvg(panel, series) {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT });
  chart.setOption({
    animation: false,
    backgroundColor: '#181b1f',
    textStyle: { color: '#ccccdc', fontFamily: 'sans-serif' },
    title: { text: panel.title, left: 8, top: 6, textStyle: { color: '#ccccdc', fontSize: 13, fontWeight: 'normal' } },
    grid: { left: 64, right: 14, top: 36, bottom: series.length > 4 ? 96 : 64 },
    legend: { bottom: 4, left: 8, right: 8, type: 'plain', textStyle: { color: '#ccccdc', fontSize: 10 }, itemHeight: 6 },
    xAxis: { type: 'time', axisLabel: { color: '#8e8e8e', fontSize: 10 }, splitLine: { show: false } },
    yAxis: { type: 'value', axisLabel: { color: '#8e8e8e', fontSize: 10, formatter: formatter(panel.unit) }, splitLine: { lineStyle: { color: '#2c3235' } } },
    series: series.map((s) => ({ name: s.name, type: 'line', showSymbol: false, lineStyle: { width: 1.5 }, data: s.points })),
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

/** The page: a header that says what this picture is, then the panels in the dashboard's grid. */
export function dashboardHtml({ title, caption, panels }) {
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; background: #111217; color: #ccccdc; font-family: sans-serif; }
header { padding: 12px 16px 4px; } h1 { font-size: 18px; margin: 0 0 4px; font-weight: 500; } p { margin: 0; font-size: 12px; color: #9fa7b3; }
main { display: grid; grid-template-columns: repeat(3, ${WIDTH}px); gap: 8px; padding: 8px 16px 16px; }
</style></head><body><header><h1>${title}</h1><p>${caption}</p></header><main>${panels.join('')}</main></body></html>`;
}

export const PAGE_SIZE = { width: 3 * WIDTH + 2 * 8 + 32, rowHeight: HEIGHT + 8 };
