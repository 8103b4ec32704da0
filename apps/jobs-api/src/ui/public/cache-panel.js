// The cache panel: a reading every 2 s, the rates between readings on the chart, the state in the badges.

import { CacheChart } from './cache-chart.js';
import { pointBetween, readCache } from './cache-reading.js';

const INTERVAL_MS = 2000;
/** Three minutes of points. */
const MAX_POINTS = 90;

/** @typedef {import('./cache-reading.js').Reading} Reading */
/** @typedef {import('./cache-reading.js').Point} Point */

/**
 * @param {{ panel: HTMLElement, chart: HTMLElement, redis: HTMLElement, circuit: HTMLElement, hitRate: HTMLElement, loadRate: HTMLElement }} elements
 */
export function startCachePanel(elements) {
  const chart = new CacheChart(elements.chart);
  /** @type {Point[]} */
  const points = [];
  /** @type {Reading | undefined} */
  let previous;

  /** @param {Reading} reading @param {Point | undefined} point */
  function showBadges(reading, point) {
    elements.redis.textContent = reading.redis === 'memory-only' ? 'not configured' : reading.redisAvailable ? 'available' : 'unavailable';
    elements.redis.dataset.state = reading.redis;
    elements.circuit.textContent = reading.circuit;
    elements.circuit.dataset.state = reading.circuit;
    if (point) {
      elements.hitRate.textContent = point.miss === null ? 'no reads' : `${Math.round(100 - point.miss)} %`;
      elements.loadRate.textContent = String(point.loadsPerSecond);
    }
  }

  async function tick() {
    try {
      const reading = await readCache((input, init) => fetch(input, init));
      const point = previous === undefined ? undefined : pointBetween(previous, reading);
      previous = reading;
      if (point) {
        points.push(point);
        if (points.length > MAX_POINTS) points.shift();
        chart.show(points);
        elements.panel.dataset.points = String(points.length);
      }
      showBadges(reading, point);
    } catch (error) {
      elements.redis.textContent = 'no answer from this instance';
      console.warn('cache panel: reading failed', error);
    }
    setTimeout(() => void tick(), INTERVAL_MS);
  }

  void tick();
}
