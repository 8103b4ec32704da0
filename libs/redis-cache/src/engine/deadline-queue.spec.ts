import { describe, expect, it } from '@jest/globals';
import { DeadlineQueue } from './deadline-queue.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('DeadlineQueue', () => {
  it('expires each unsettled call at its own deadline, once, and never a settled one', async () => {
    const queue = new DeadlineQueue(40);
    const expired: Array<[string, number]> = [];
    const t0 = performance.now();
    const a = queue.add(() => expired.push(['a', performance.now() - t0]));
    const b = queue.add(() => expired.push(['b', performance.now() - t0]));
    await sleep(20);
    queue.add(() => expired.push(['c', performance.now() - t0]));
    queue.settle(b);
    expect(queue.pending).toBe(2);
    await sleep(90);
    expect(expired.map(([name]) => name)).toEqual(['a', 'c']);
    expect(expired[0][1]).toBeGreaterThanOrEqual(39);
    expect(expired[0][1]).toBeLessThan(60);
    expect(expired[1][1]).toBeGreaterThanOrEqual(59);
    expect(a.done).toBe(true);
    expect(queue.pending).toBe(0);
  });

  it('keeps only the calls in flight when calls settle in order', () => {
    const queue = new DeadlineQueue(1000);
    for (let i = 0; i < 5000; i++) queue.settle(queue.add(() => undefined));
    expect(queue.pending).toBe(0);
    expect((queue as unknown as { queue: unknown[] }).queue.length).toBe(0);
  });
});
