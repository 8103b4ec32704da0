// One reading of the cache's public counters and state, and the rates between two readings.

import { parsePrometheusText, sumOf } from './prometheus-text.js';

/**
 * @typedef {object} Reading
 * @property {number} at epoch milliseconds
 * @property {{ l1: number, l2: number, miss: number, loads: number }} totals counters since the instance started
 * @property {'ok' | 'degraded' | 'memory-only' | 'unknown'} redis from /health (`unknown` if it did not answer)
 * @property {boolean} redisAvailable
 * @property {'closed' | 'half-open' | 'open'} circuit
 */

/**
 * @typedef {object} Point
 * @property {number} at
 * @property {number | null} l1 share of reads answered by L1, % (null: no read in the interval)
 * @property {number | null} l2
 * @property {number | null} miss
 * @property {number} reads reads in the interval
 * @property {number} loadsPerSecond
 * @property {boolean} degraded Redis configured but unavailable, or the circuit not closed
 */

const CIRCUIT = /** @type {const} */ (['closed', 'half-open', 'open']);

/**
 * Reads `/metrics` (the library's Prometheus exporter) and `/health` (its health indicator); both are public.
 * @param {typeof fetch} get
 * @returns {Promise<Reading>}
 */
export async function readCache(get) {
  const [metrics, health] = await Promise.all([get('/metrics', { cache: 'no-store' }), get('/health', { cache: 'no-store' })]);
  if (!metrics.ok) throw new Error(`/metrics answered ${metrics.status}`);
  const samples = parsePrometheusText(await metrics.text());
  /** @type {any} */
  let body;
  try {
    // /health answers 503 (with the same body) while PostgreSQL is down: the cache's state is still in it.
    body = await health.json();
  } catch (error) {
    console.warn('/health did not answer JSON', error);
  }
  const state = body?.details?.cache?.state;
  return {
    at: Date.now(),
    totals: {
      l1: sumOf(samples, 'redis_cache_reads_total', { tier: 'l1', result: 'hit' }),
      l2: sumOf(samples, 'redis_cache_reads_total', { tier: 'l2', result: 'hit' }),
      miss: sumOf(samples, 'redis_cache_events_total', { event: 'miss' }),
      loads: sumOf(samples, 'redis_cache_events_total', { event: 'load' }),
    },
    redis: state === 'ok' || state === 'degraded' || state === 'memory-only' ? state : 'unknown',
    redisAvailable: sumOf(samples, 'redis_cache_redis_available') === 1,
    circuit: CIRCUIT[sumOf(samples, 'redis_cache_circuit_state')] ?? 'open',
  };
}

/**
 * What happened between two readings; `undefined` when the counters went back (the instance restarted).
 * @param {Reading} before @param {Reading} after @returns {Point | undefined}
 */
export function pointBetween(before, after) {
  const d = {
    l1: after.totals.l1 - before.totals.l1,
    l2: after.totals.l2 - before.totals.l2,
    miss: after.totals.miss - before.totals.miss,
    loads: after.totals.loads - before.totals.loads,
  };
  if (Object.values(d).some((v) => v < 0)) return undefined;
  const reads = d.l1 + d.l2 + d.miss;
  const share = (/** @type {number} */ n) => (reads === 0 ? null : Math.round((1000 * n) / reads) / 10);
  const seconds = Math.max(0.001, (after.at - before.at) / 1000);
  return {
    at: after.at,
    l1: share(d.l1),
    l2: share(d.l2),
    miss: share(d.miss),
    reads,
    loadsPerSecond: Math.round((10 * d.loads) / seconds) / 10,
    degraded: after.redis === 'degraded' || (after.redis === 'unknown' && after.circuit !== 'closed'),
  };
}
