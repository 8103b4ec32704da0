import { afterEach, describe, expect, it } from '@jest/globals';
import { CacheEngine } from '@app/redis-cache';
import { SoftLoadTimeout } from './soft-load-timeout.js';

// The in-process engine (no Redis): what is under test is the timing contract around its loader, not Redis.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const engines: CacheEngine[] = [];
function engine(): CacheEngine {
  const cache = new CacheEngine({ graceSeconds: 60 });
  engines.push(cache);
  return cache;
}
afterEach(async () => {
  while (engines.length > 0) await engines.pop()!.close();
});

function slowLoader(ms: number, value: { v: number }, calls: { n: number }) {
  return async () => {
    calls.n += 1;
    await sleep(ms);
    return value;
  };
}

describe('SoftLoadTimeout', () => {
  it('serves the stale entry at the soft timeout while a slow load refills the cache', async () => {
    const cache = engine();
    const soft = new SoftLoadTimeout(50);
    const call = (loader: () => Promise<{ v: number } | undefined>, opts = {}) =>
      soft.run('k', loader, { ttl: 1 }, (load, o) => cache.getOrLoad('k', load, { ...o, ...opts }));
    await call(async () => ({ v: 1 }));
    await sleep(1_050); // past the TTL, inside the grace period
    const calls = { n: 0 };
    const started = performance.now();
    const stale = await call(slowLoader(300, { v: 2 }, calls));
    expect(stale).toMatchObject({ value: { v: 1 }, source: 'stale' });
    expect(performance.now() - started).toBeLessThan(250);
    await sleep(350);
    await expect(cache.get('k')).resolves.toEqual({ v: 2 });
    expect(calls.n).toBe(1);
  });

  it('makes a cold caller wait for the load under way rather than fail or load twice', async () => {
    const cache = engine();
    const soft = new SoftLoadTimeout(50);
    const calls = { n: 0 };
    const loader = slowLoader(200, { v: 7 }, calls);
    const run = () => soft.run('cold', loader, { ttl: 30, version: (x: { v: number }) => x.v }, (load, o) => cache.getOrLoad('cold', load, o));
    const started = performance.now();
    const [a, b] = await Promise.all([run(), run()]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect([a.value, b.value]).toEqual([{ v: 7 }, { v: 7 }]);
    expect(a).toMatchObject({ source: 'loader', version: 7 });
    expect(calls.n).toBe(1);
  });

  it('rejects a cold caller with the loader\'s own error (the hard timeout), not a timeout error', async () => {
    const cache = engine();
    const soft = new SoftLoadTimeout(20);
    const failing = async (): Promise<undefined> => {
      await sleep(100);
      throw new Error('statement timeout');
    };
    await expect(soft.run('bad', failing, {}, (load, o) => cache.getOrLoad('bad', load, o))).rejects.toThrow('statement timeout');
  });

  it('passes no load timeout at all when turned off', async () => {
    const soft = new SoftLoadTimeout(0);
    const seen: unknown[] = [];
    const result = await soft.run('off', async () => 1, { ttl: 5 }, async (load, o) => {
      seen.push(o.loadTimeoutMs);
      return { value: await load(), source: 'loader', storedAt: 0 };
    });
    expect(result.value).toBe(1);
    expect(seen).toEqual([undefined]);
  });
});
