// Small, dependency-free statistics for benchmark rounds. Medians, not means: one noisy round on a shared
// 2-core machine must not move the headline figure.

/** Median of a list of numbers (NaN for an empty list). */
export function median(values) {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** Smallest and largest finite value. */
export function range(values) {
  const xs = values.filter((v) => Number.isFinite(v));
  if (xs.length === 0) return { min: Number.NaN, max: Number.NaN };
  return { min: Math.min(...xs), max: Math.max(...xs) };
}

/** Summary of one metric over rounds: median, min, max and the raw samples. */
export function summarize(values) {
  return { median: median(values), ...range(values), samples: values };
}

/** `a / b`, or NaN when either side is missing. */
export function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN;
}

/** Percentile (0–100) of raw samples by nearest rank. */
export function percentile(values, p) {
  const xs = [...values].sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const rank = Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1));
  return xs[rank];
}
