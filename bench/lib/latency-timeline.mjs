// Latency over time inside one autocannon run: the answers are put in fixed intervals by the moment they
// arrive, and each interval keeps its count, p99 and failures. Like autocannon's own figures, latency is of
// 2xx answers only; a non-2xx answer, an error or a timeout counts as failed in the interval it ends in.
import { percentile } from './stats.mjs';

/**
 * Starts recording `instance` (an autocannon run); call the returned function when it is done.
 * @param {import('node:events').EventEmitter} instance
 * @param {number} bucketMs
 * @returns {() => Array<{ t: number, answered: number, p99: number | null, max: number | null, failed: number }>}
 */
export function recordTimeline(instance, bucketMs) {
  const started = Date.now();
  const buckets = [];
  const current = () => (buckets[Math.floor((Date.now() - started) / bucketMs)] ??= { latencies: [], failed: 0 });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    const bucket = current();
    if (statusCode >= 200 && statusCode < 300) bucket.latencies.push(responseTime);
    else bucket.failed += 1;
  });
  instance.on('reqError', () => {
    current().failed += 1;
  });
  return () => Array.from(buckets, (bucket, i) => ({
    t: i * bucketMs,
    answered: bucket?.latencies.length ?? 0,
    p99: bucket?.latencies.length ? percentile(bucket.latencies, 99) : null,
    max: bucket?.latencies.length ? Math.max(...bucket.latencies) : null,
    failed: bucket?.failed ?? 0,
  }));
}
