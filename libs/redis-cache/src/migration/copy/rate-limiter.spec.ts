import { describe, expect, it } from '@jest/globals';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('paces to the rate on average, allowing one unit of slack', async () => {
    let now = 1_000;
    const limiter = new RateLimiter(100, () => now); // 10 ms per unit
    expect(limiter.delayFor(1)).toBe(0);
    await limiter.take(1);
    expect(limiter.delayFor(50)).toBe(500); // due at 510 ms, minus one unit of slack
    now += 500;
    expect(limiter.delayFor(50)).toBe(0);
  });

  it('never waits without a rate, and refuses a rate that is not positive', () => {
    expect(new RateLimiter(undefined).delayFor(1_000_000)).toBe(0);
    expect(() => new RateLimiter(0)).toThrow(RangeError);
    expect(() => new RateLimiter(-1)).toThrow(RangeError);
  });

  it('an abort ends the wait at once', async () => {
    const limiter = new RateLimiter(1);
    await limiter.take(1);
    const controller = new AbortController();
    const started = Date.now();
    const waiting = limiter.take(10, controller.signal);
    controller.abort();
    await waiting;
    expect(Date.now() - started).toBeLessThan(100);
  });
});
