import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { CacheEngine } from '../libs/redis-cache/src/engine/cache-engine.js';
import { CacheLoadTimeoutError } from '../libs/redis-cache/src/engine/cache.errors.js';
import { freePort, TestRedisServer } from './support/redis-server.js';
import { sleep, until } from './support/wait.js';
import { slack } from './support/machine-load.js';

/** getOrLoad options on real Redis: loader time bound, throttled fail-safe retries, refresh-ahead, lock; values: compression, size cap, MGET. */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('loading options and value handling', () => {
  const prefix = `test:load:${randomUUID()}:`;
  const a = new CacheEngine({ redisUrl: REDIS_URL, keyPrefix: prefix, graceSeconds: 10, compressAboveBytes: 1024, maxEntryBytes: 64 * 1024 });
  const b = new CacheEngine({ redisUrl: REDIS_URL, keyPrefix: prefix, graceSeconds: 10 });
  const raw = new Redis(REDIS_URL, { lazyConnect: true, commandTimeout: 1000 });
  beforeAll(async () => {
    await Promise.all([a.connect(), b.connect(), raw.connect()]);
    await until(() => a.getStats().bus.state === 'live' && b.getStats().bus.state === 'live', 3000);
  });
  afterAll(async () => {
    await a.clear();
    await Promise.all([a.close(), b.close()]);
    raw.disconnect();
  });

  it('hardLoadTimeoutMs: an error without a stale value, the load still fills the cache', async () => {
    const key = a.key('slow', 1);
    const started = performance.now();
    await expect(a.getOrLoad(key, async () => { await sleep(300); return 'late'; }, { hardLoadTimeoutMs: 50 })).rejects.toBeInstanceOf(CacheLoadTimeoutError);
    expect(performance.now() - started).toBeLessThan(50 + slack(100));
    await sleep(300);
    expect(await a.get(key)).toBe('late'); // the timed-out load finished in the background
  });

  it('loadTimeoutMs (soft): a cold caller keeps waiting for the one load; a stale value within grace is served past it', async () => {
    const cold = a.key('slow', 3);
    let runs = 0;
    const slowLoad = async (): Promise<string> => { runs += 1; await sleep(200); return 'fresh'; };
    const before = a.getStats().loadTimeouts;
    const waited = await Promise.all([1, 2, 3].map(() => a.getOrLoad(cold, slowLoad, { loadTimeoutMs: 50 })));
    expect(waited.map((r) => r.value)).toEqual(['fresh', 'fresh', 'fresh']);
    expect(runs).toBe(1); // one load, however many callers waited past the soft bound
    expect(a.getStats().loadTimeouts).toBe(before + 1);

    const soft = a.key('slow', 2);
    await a.getOrLoad(soft, async () => 'v1', { ttl: 1 });
    await sleep(1100);
    const served = await a.getOrLoad(soft, async () => { await sleep(200); return 'v2'; }, { ttl: 30, loadTimeoutMs: 50 });
    expect(served).toMatchObject({ value: 'v1', source: 'stale' });
    expect(a.getStats().loadTimeouts).toBe(before + 2);
    await sleep(250);
    expect(await a.get(soft)).toBe('v2');
  });

  it('fail-safe retries are throttled: after a failure the stale value is served without calling the loader', async () => {
    const key = a.key('failsafe', 1);
    await a.getOrLoad(key, async () => 'v1', { ttl: 1 });
    await sleep(1100);
    let calls = 0;
    const failing = async (): Promise<string> => { calls += 1; throw new Error('db down'); };
    for (let i = 0; i < 10; i += 1) {
      expect(await a.getOrLoad(key, failing, { failSafeRetryMs: 300 })).toMatchObject({ value: 'v1', source: 'stale' });
    }
    expect(calls).toBe(1);
    await sleep(320);
    await a.getOrLoad(key, failing, { failSafeRetryMs: 300 });
    expect(calls).toBe(2);
  });

  it('refresh-ahead: near expiry the current value is served and one background load refreshes it', async () => {
    const key = a.key('ahead', 1);
    let version = 1;
    let calls = 0;
    const loader = async () => { calls += 1; await sleep(30); return { version }; };
    await a.getOrLoad(key, loader, { ttl: 1, refreshAheadRatio: 0.5, version: (v) => v.version });
    version = 2;
    await sleep(600);
    const results = await Promise.all(Array.from({ length: 20 }, () => a.getOrLoad(key, loader, { ttl: 1, refreshAheadRatio: 0.5, version: (v) => v.version })));
    expect(results.every((r) => r.value?.version === 1 && r.source === 'l1')).toBe(true);
    await sleep(60);
    expect(calls).toBe(2);
    expect((await a.getEntry<{ version: number }>(key))?.value?.version).toBe(2);
    expect(a.getStats().refreshes).toBeGreaterThanOrEqual(1);
  });

  it('lock: two instances missing the same keys at once run the loader once per key', async () => {
    let runs = 0;
    const load = (i: number) => async () => { runs += 1; await sleep(80); return { i }; };
    const keys = [1, 2, 3].map((i) => a.key('locked', i));
    const results = await Promise.all(keys.flatMap((key, i) => [a, b].flatMap((node) =>
      Array.from({ length: 5 }, () => node.getOrLoad(key, load(i), { lock: { ttlMs: 2000, waitMs: 1000 } })))));
    expect(runs).toBe(3);
    expect(results.every((r, n) => r.value?.i === Math.floor(n / 10))).toBe(true);
    expect(a.getStats().lockAcquired + b.getStats().lockAcquired).toBe(3);
    expect(a.getStats().lockWaits + b.getStats().lockWaits).toBe(3);
    expect(await raw.exists(...keys.map((k) => `${prefix}${k}!lock`))).toBe(0); // released
  });

  it('compresses values above the threshold, reads them back, and refuses values above maxEntryBytes', async () => {
    const big = { text: 'lorem ipsum '.repeat(500) };
    const key = a.key('big', 1);
    expect(await a.set(key, big)).toBe(true);
    const stored = (await raw.get(prefix + key))!;
    expect(stored).toMatch(/^c2\|V\|\|\d+\|\d+\|[A-Za-z0-9]+\|\|~z:/);
    expect(stored.length).toBeLessThan(JSON.stringify(big).length / 5);
    expect(await b.get(key)).toEqual(big); // another instance decodes it
    expect(a.getStats().compressed).toBeGreaterThanOrEqual(1);
    const huge = { data: Array.from({ length: 40_000 }, (_, i) => i.toString(36)).join('') };
    expect(await a.set(a.key('huge', 1), huge)).toBe(false);
    expect(await raw.exists(prefix + a.key('huge', 1))).toBe(0);
    expect(a.getStats().oversized).toBe(1);
  });

  it('mget reads the L1 misses in one MGET round trip', async () => {
    // MONITOR on a Redis of its own: on the shared one it would slow every other suite (and the benchmarks refuse it).
    const server = await TestRedisServer.start();
    const writer = new CacheEngine({ redisUrl: server.url, keyPrefix: prefix });
    const reader = new CacheEngine({ redisUrl: server.url, keyPrefix: prefix });
    const monitorClient = new Redis(server.url, { lazyConnect: true });
    try {
      await Promise.all([writer.connect(), reader.connect()]);
      const keys = [1, 2, 3, 4].map((i) => writer.key('many', i));
      await writer.set(keys[0], 'one');
      await writer.set(keys[2], 'three');
      const monitor = await monitorClient.monitor();
      const seen: string[] = [];
      monitor.on('monitor', (_time: string, args: string[]) => { if (args[1]?.startsWith(prefix)) seen.push(args[0].toLowerCase()); });
      expect(await reader.mget(keys)).toEqual(['one', undefined, 'three', undefined]);
      await sleep(50);
      monitor.disconnect();
      expect(seen.filter((c) => c === 'mget')).toHaveLength(1);
      expect(seen.filter((c) => c === 'get')).toHaveLength(0);
      expect(await reader.mget(keys)).toEqual(['one', undefined, 'three', undefined]); // now partly from L1
    } finally {
      monitorClient.disconnect();
      await Promise.all([writer.close(), reader.close()]);
      await server.stop();
    }
  });
});

describe('single-flight without the bus (strict coherence, Redis unreachable)', () => {
  /** A load held open until released: what a slow PostgreSQL read looks like to the engine. */
  function heldLoad<T>(value: T): { load: () => Promise<T>; release: () => void } {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    return { load: async () => { await gate; return value; }, release };
  }

  async function engineWithoutRedis(coherence: 'strict' | 'eventual'): Promise<CacheEngine> {
    const engine = new CacheEngine({ redisUrl: `redis://127.0.0.1:${await freePort()}`, keyPrefix: `test:fresh:${randomUUID()}:`, connectTimeoutMs: 200, coherence });
    await engine.connect();
    return engine;
  }

  it('strict: a caller arriving during a load gets a load that started after it arrived (one run for all such callers)', async () => {
    // An update committed and acknowledged on another instance while this one cannot hear the bus: the load
    // in flight may have read the row before that commit, so callers arriving now must not take its result.
    const engine = await engineWithoutRedis('strict');
    try {
      const first = heldLoad({ v: 1 });
      const before = engine.getOrLoad('doc:1', first.load);
      const runs: string[] = [];
      const later = [1, 2, 3].map((n) => engine.getOrLoad('doc:1', async () => { runs.push(`later ${n}`); return { v: 2 }; }));
      first.release();
      expect((await before).value).toEqual({ v: 1 });
      for (const result of await Promise.all(later)) expect(result.value).toEqual({ v: 2 });
      expect(runs).toEqual(['later 1']);
      expect(engine.getStats().coalesced).toBe(3);
    } finally {
      await engine.close();
    }
  });

  it('eventual: callers arriving during a load join it, as single-flight always did', async () => {
    const engine = await engineWithoutRedis('eventual');
    try {
      const first = heldLoad({ v: 1 });
      const before = engine.getOrLoad('doc:1', first.load);
      let laterRuns = 0;
      const later = engine.getOrLoad('doc:1', async () => { laterRuns += 1; return { v: 2 }; });
      first.release();
      expect((await before).value).toEqual({ v: 1 });
      expect((await later).value).toEqual({ v: 1 });
      expect(laterRuns).toBe(0);
    } finally {
      await engine.close();
    }
  });
});
