import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { DeadlineQueue } from './deadline-queue.js';

describe('DeadlineQueue', () => {
  // Jest's clock (it fakes setTimeout and performance.now together): the deadlines are checked to the
  // millisecond, which a shared machine's real timers cannot promise.
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('expires each unsettled call at its own deadline, once, and never a settled one', () => {
    const queue = new DeadlineQueue(40);
    const expired: Array<[string, number]> = [];
    const t0 = performance.now();
    const a = queue.add(() => expired.push(['a', performance.now() - t0]));
    const b = queue.add(() => expired.push(['b', performance.now() - t0]));
    jest.advanceTimersByTime(20);
    queue.add(() => expired.push(['c', performance.now() - t0]));
    queue.settle(b);
    expect(queue.pending).toBe(2);
    jest.advanceTimersByTime(19);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(90);
    expect(expired).toEqual([['a', 40], ['c', 60]]);
    expect(a.done).toBe(true);
    expect(queue.pending).toBe(0);
  });

  it('runs the other expiries when one throws, and reports the error', () => {
    const errors: unknown[] = [];
    const queue = new DeadlineQueue(10, (error) => errors.push(error));
    const expired: string[] = [];
    queue.add(() => {
      throw new Error('boom');
    });
    queue.add(() => expired.push('second'));
    jest.advanceTimersByTime(10);
    expect(expired).toEqual(['second']);
    expect(errors).toEqual([new Error('boom')]);
  });

  it('keeps only the calls in flight when calls settle in order', () => {
    const queue = new DeadlineQueue(1000);
    for (let i = 0; i < 5000; i++) queue.settle(queue.add(() => undefined));
    expect(queue.pending).toBe(0);
    expect((queue as unknown as { queue: unknown[] }).queue.length).toBe(0);
  });
});
