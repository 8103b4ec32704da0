/** Reading what an ECharts SVG (server-side rendered) drew: its paths, their vertices, bar lengths. */

/** The attributes of every `<path>` in `svg`. */
export function paths(svg: string): Record<string, string>[] {
  return [...svg.matchAll(/<path ([^>]*)>/g)].map((m) => Object.fromEntries([...m[1].matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])));
}

/** The runs of a path's `d` made of M and L commands with absolute coordinates: one array of [x, y] per `M`. */
export function polylines(d: string): [number, number][][] {
  return d.split('M').filter((run) => run.trim() !== '').map((run) => run.split('L').map((point) => point.trim().split(/\s+/).map(Number) as [number, number]));
}

/** Length of each horizontal bar of series `series`, by data index (bars are `M x y l w 0 …Z`). */
export function barLengths(svg: string, series: number): Map<number, number> {
  const lengths = new Map<number, number>();
  for (const p of paths(svg)) {
    if (p.ecmeta_ssr_type !== 'chart' || p.ecmeta_series_index !== String(series) || p.ecmeta_data_index === undefined) continue;
    const width = /^M[\d.]+ [\d.]+l([\d.]+) 0/.exec(p.d)?.[1];
    if (width !== undefined) lengths.set(Number(p.ecmeta_data_index), Number(width));
  }
  return lengths;
}

/** The text of every `<text>` element. */
export function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'));
}
