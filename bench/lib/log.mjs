// Progress lines on stderr (so stdout stays clean for anyone piping the summary), with elapsed time.
const started = Date.now();

/** Prints one progress line prefixed with the seconds since the harness started. */
export function progress(message) {
  const t = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${t}s] ${message}\n`);
}

/** Seconds since the harness started. */
export function elapsedSeconds() {
  return (Date.now() - started) / 1000;
}

/** Formats a number for humans: 12 345, 1.23. */
export function fmt(value, digits = 0) {
  if (value === undefined || value === null || !Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).replace(/,/g, ' ');
}
