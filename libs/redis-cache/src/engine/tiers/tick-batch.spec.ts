import { describe, expect, it } from '@jest/globals';
import { TickBatch } from './tick-batch.js';

describe('TickBatch', () => {
  /** A batch whose flush records what it was given and answers each item doubled (an Error for negative ones). */
  const recording = (max = 100) => {
    const flushes: number[][] = [];
    const batch = new TickBatch<number, number>(async (items) => {
      flushes.push(items);
      return items.map((n) => (n < 0 ? new Error(`bad ${n}`) : 2 * n));
    }, max);
    return { flushes, batch };
  };

  it('answers the calls of one tick with one flush, in order, and a later tick with its own', async () => {
    const { flushes, batch } = recording();
    const first = await Promise.all([1, 2, 3].map((n) => batch.add(n)));
    expect(first).toEqual([2, 4, 6]);
    expect(await batch.add(4)).toBe(8);
    expect(flushes).toEqual([[1, 2, 3], [4]]);
  });

  it('rejects only the caller whose item failed; a failed flush rejects every caller of its batch', async () => {
    const { batch } = recording();
    const outcomes = await Promise.allSettled([1, -2, 3].map((n) => batch.add(n)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(new Error('bad -2'));
    const failing = new TickBatch<number, number>(async () => { throw new Error('connection lost'); }, 100);
    const all = await Promise.allSettled([1, 2].map((n) => failing.add(n)));
    expect(all.map((o) => (o as PromiseRejectedResult).reason?.message)).toEqual(['connection lost', 'connection lost']);
  });

  it('flushes a batch as soon as it holds max calls, the rest in the same tick after', async () => {
    const { flushes, batch } = recording(2);
    expect(await Promise.all([1, 2, 3, 4, 5].map((n) => batch.add(n)))).toEqual([2, 4, 6, 8, 10]);
    expect(flushes).toEqual([[1, 2], [3, 4], [5]]);
  });
});
