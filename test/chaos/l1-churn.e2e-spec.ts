import { afterAll, describe, expect, it } from '@jest/globals';
import { CacheEngine } from 'nestjs-tiered-cache/engine';
import { ChaosReport, variant } from '../support/chaos-report.js';
import { collectGarbage } from '../support/gc.js';
import { watchEventLoop } from '../support/http-load.js';

/**
 * Item 15 of issue 6: L1 under key churn stays within its entry and byte bounds at every sample, with a
 * bounded retained heap and event-loop delay. A file of its own, so that the heap it measures holds no other
 * test's garbage (in one process with item 11's 50 000 property cases, GC pauses alone doubled the p99).
 */
const report = new ChaosReport('l1-churn');

/** Event-loop delay of the churn loop's shape — values built, a bounded map written, yields — with no cache. */
async function loopDelayWithout(value: (i: number) => object, iterations: number): Promise<{ p99: number; max: number }> {
  const kept = new Map<number, object>();
  const loop = watchEventLoop();
  for (let i = 0; i < iterations; i++) {
    kept.set(i % 5_000, value(i));
    if (i % 250 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return loop.stop();
}
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  report.flush();
});

describe('chaos: L1 under key churn', () => {
  it('15 · L1 under key churn: entry and byte bounds hold at every sample; heap and event-loop delay bounded', async () => {
    const maxEntries = 5_000;
    const maxBytes = 4 * 2 ** 20;
    const cache = new CacheEngine({ l1: { maxEntries, maxBytes } }); // memory tier only: L1 is all there is
    cleanups.push(() => cache.close());
    const total = variant(200_000, 1_000_000);
    const value = (i: number) => ({ id: i, title: `job ${i}`, pad: 'x'.repeat(i % 7 === 0 ? 2_000 : 100) });
    // Baseline, measured in this run: the same loop, allocations and yields without the cache. What the
    // machine's load and GC do to the event loop shows here too; the bound is on what the cache adds.
    const baseline = await loopDelayWithout(value, Math.min(total, 200_000));
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const loop = watchEventLoop();
    let worstEntries = 0;
    let worstBytes = 0;
    let worstHeap = 0;
    for (let i = 0; i < total; i++) {
      if (i % 3 === 0) await cache.getOrLoad(cache.key('churn', i), async () => value(i), { ttl: 60 });
      else await cache.set(cache.key('churn', i), value(i), 60);
      if (i % 250 === 0) {
        const { l1 } = cache.getStats();
        worstEntries = Math.max(worstEntries, l1.entries);
        worstBytes = Math.max(worstBytes, l1.bytes);
        // A caller's request would yield about this often; the delay then measures the cache's own blocking.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (i % 50_000 === 49_999) {
        loop.pause();
        collectGarbage();
        worstHeap = Math.max(worstHeap, process.memoryUsage().heapUsed - heapBefore);
        loop.resume();
      }
    }
    const delay = loop.stop();
    const heapMb = worstHeap / 2 ** 20;

    report.record({
      item: '15', test: 'L1 under key churn', fault: `${total.toLocaleString('en')} distinct keys through L1 (maxEntries ${maxEntries}, maxBytes 4 MiB)`,
      asserted: `entries ≤ ${maxEntries} and bytes ≤ 4 MiB at every sample; retained heap growth (after GC) < 64 MB; event-loop delay p99 < the same loop's without the cache (this run) + 50 ms`,
      measured: `max entries ${worstEntries}, max bytes ${(worstBytes / 2 ** 20).toFixed(2)} MiB; retained heap +${heapMb.toFixed(1)} MB; loop delay p99 ${delay.p99.toFixed(1)} ms (max ${delay.max.toFixed(1)}), without the cache ${baseline.p99.toFixed(1)} ms`,
      holds: worstEntries <= maxEntries && worstBytes <= maxBytes && heapMb < 64 && delay.p99 < baseline.p99 + 50,
    });
    expect(worstEntries).toBeLessThanOrEqual(maxEntries);
    expect(worstEntries).toBeGreaterThan(maxEntries / 2);
    expect(worstBytes).toBeLessThanOrEqual(maxBytes);
    expect(heapMb).toBeLessThan(64);
    expect(delay.p99).toBeLessThan(baseline.p99 + 50);
  }, 120_000);
});
