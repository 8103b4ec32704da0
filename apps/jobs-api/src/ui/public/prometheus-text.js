// Just enough of the Prometheus text format for the cache panel: `name{label="value",…} number` lines.
// Comments (# HELP, # TYPE) and anything that does not parse are skipped.

/** @typedef {{ name: string, labels: Record<string, string>, value: number }} Sample */

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** @param {string} text @returns {Sample[]} */
export function parsePrometheusText(text) {
  /** @type {Sample[]} */
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (match === null) continue;
    /** @type {Record<string, string>} */
    const labels = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key] = value.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/**
 * Sum of every sample named `name` whose labels include all of `match` (0 when there is none).
 * @param {Sample[]} samples @param {string} name @param {Record<string, string>} [match]
 */
export function sumOf(samples, name, match = {}) {
  let sum = 0;
  for (const s of samples) {
    if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v) && Number.isFinite(s.value)) sum += s.value;
  }
  return sum;
}
