import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { CacheEngine } from '../libs/redis-cache/src/engine/cache-engine.js';
import { MemoryStore } from '../libs/redis-cache/src/engine/tiers/memory-store.js';

/**
 * One contract, three set-ups: Redis alone (L1 off), Redis + L1, and the memory tier alone. The same cases
 * run against each so the tiers cannot drift. Real Redis at 127.0.0.1:6379, a unique prefix per run.
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Fixture {
  engine: CacheEngine;
  prefix: string;
  /**
   * Plants a raw string under a logical key, bypassing the engine; `EPOCH` in it becomes the keyspace epoch
   * the engine reads entries in (Redis: the coordination record's; memory: empty).
   */
  plant(key: string, raw: string): Promise<void>;
  /** Reads the raw string under a logical key in the authoritative tier. */
  peek(key: string): Promise<string | undefined>;
  /** A second engine on another prefix, same backend. */
  neighbour: CacheEngine;
  close(): Promise<void>;
}

async function redisFixture(l1: boolean): Promise<Fixture> {
  const prefix = `test:contract:${randomUUID()}:`;
  const engine = new CacheEngine({ redisUrl: REDIS_URL, keyPrefix: prefix, l1: { enabled: l1 } });
  const neighbour = new CacheEngine({ redisUrl: REDIS_URL, keyPrefix: `${prefix.slice(0, -1)}-other:`, l1: { enabled: l1 } });
  const raw = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout: 1000 });
  await Promise.all([engine.connect(), neighbour.connect(), raw.connect()]);
  return {
    engine, prefix, neighbour,
    plant: async (key, value) => {
      const epoch = (await raw.hget(`${prefix}!coord`, 'epoch')) ?? '';
      await raw.set(prefix + key, value.replace('EPOCH', epoch), 'EX', 60);
    },
    peek: async (key) => (await raw.get(prefix + key)) ?? undefined,
    close: async () => {
      await engine.clear();
      await neighbour.clear();
      await Promise.all([engine.close(), neighbour.close()]);
      raw.disconnect();
    },
  };
}

async function memoryFixture(): Promise<Fixture> {
  const prefix = 'mem:';
  const store = new MemoryStore();
  const engine = new CacheEngine({ keyPrefix: prefix }, { memoryStore: store });
  const neighbour = new CacheEngine({ keyPrefix: 'mem-other:' }, { memoryStore: store });
  return {
    engine, prefix, neighbour,
    plant: async (key, raw) => { store.writeSync({ key: prefix + key, raw: raw.replace('EPOCH', ''), kind: 'V', ttlMs: 60_000 }); },
    peek: async (key) => store.peek(prefix + key),
    close: async () => { await engine.close(); },
  };
}

describe.each([
  ['redis (L2 only)', () => redisFixture(false)],
  ['redis + L1', () => redisFixture(true)],
  ['memory only', () => memoryFixture()],
])('cache contract: %s', (_name, makeFixture) => {
  let f: Fixture;
  let cache: CacheEngine;
  beforeAll(async () => {
    f = await makeFixture();
    cache = f.engine;
  });
  afterAll(async () => {
    await f.close();
  });

  it('sets, gets, checks and deletes; returned values are isolated copies', async () => {
    const key = cache.key('basic', 1);
    expect(await cache.get(key)).toBeUndefined();
    expect(await cache.set(key, { a: 1, list: [1, 2] })).toBe(true);
    const first = await cache.get<{ a: number; list: number[] }>(key);
    expect(first).toEqual({ a: 1, list: [1, 2] });
    first!.list.push(3);
    expect(await cache.get(key)).toEqual({ a: 1, list: [1, 2] });
    (await cache.getEntry<{ list: number[] }>(key))!.value!.list.push(4);
    (await cache.getOrLoad<{ list: number[] }>(key, () => Promise.reject(new Error('a hit loads nothing')))).value!.list.push(5);
    expect(await cache.get(key)).toEqual({ a: 1, list: [1, 2] });
    // The fast path's probe reads L1's own decoded entry: frozen, so no caller can change it.
    const peeked = cache.peekEntryJson<{ a: number; list: number[] }>(key);
    if (_name === 'redis (L2 only)') expect(peeked).toBeUndefined();
    else {
      expect(peeked).toMatchObject({ value: { a: 1, list: [1, 2] }, json: '{"a":1,"list":[1,2]}' });
      expect(() => peeked!.value!.list.push(6)).toThrow(TypeError);
      expect(await cache.get(key)).toEqual({ a: 1, list: [1, 2] });
    }
    expect(await cache.exists(key)).toBe(true);
    await cache.delete(key);
    expect(await cache.exists(key)).toBe(false);
    expect(await cache.get(key)).toBeUndefined();
  });

  it('expires entries after their TTL (real time)', async () => {
    const key = cache.key('ttl', 1);
    await cache.set(key, 'v', 1);
    const ttl = await cache.ttl(key);
    expect(ttl).toBeGreaterThanOrEqual(1);
    expect(ttl).toBeLessThanOrEqual(1);
    expect(await cache.ttl(cache.key('ttl', 'absent'))).toBeUndefined();
    await sleep(1100);
    expect(await cache.get(key)).toBeUndefined();
    expect(await cache.exists(key)).toBe(false);
  });

  it('versioned writes land only if newer', async () => {
    const key = cache.key('ver', 1);
    expect(await cache.set(key, { v: 2 }, { version: 2 })).toBe(true);
    expect(await cache.set(key, { v: 1 }, { version: 1 })).toBe(false);
    expect(await cache.set(key, { v: 2 }, { version: 2 })).toBe(false);
    expect(await cache.get(key)).toEqual({ v: 2 });
    expect(await cache.set(key, { v: 3 }, { version: 3 })).toBe(true);
    expect((await cache.getEntry(key))?.version).toBe(3);
  });

  it('a versioned delete leaves a tombstone that blocks fills of that version or older', async () => {
    const key = cache.key('tomb', 1);
    await cache.set(key, { v: 4 }, { version: 4 });
    await cache.delete(key, { version: 5 });
    expect(await cache.get(key)).toBeUndefined();
    expect(await cache.exists(key)).toBe(false);
    expect(await cache.set(key, { v: 5 }, { version: 5 })).toBe(false);
    expect(await cache.set(key, { v: 4 }, { version: 4 })).toBe(false);
    expect(await cache.get(key)).toBeUndefined();
    expect(await cache.set(key, { v: 6 }, { version: 6 })).toBe(true);
    await cache.delete(key, { version: 3 }); // older than what is held: no effect
    expect(await cache.get(key)).toEqual({ v: 6 });
  });

  it('a "not found" load does not replace a tombstone, so an older write cannot land after the delete', async () => {
    const key = cache.key('tomb', 2);
    await cache.set(key, { v: 2 }, { version: 2 });
    await cache.delete(key, { version: 3 }); // the row is deleted
    // A poll loads "not found" (negative caching on): the tombstone must stay.
    expect((await cache.getOrLoad(key, async () => undefined, { negativeTtlSeconds: 30 })).value).toBeUndefined();
    // A write of version 2 that was under way before the delete (a pre-warm arriving late) is refused.
    expect(await cache.set(key, { v: 2 }, { version: 2 })).toBe(false);
    expect(await cache.get(key)).toBeUndefined();
  });

  it('a slow fill that read before an update cannot overwrite the update', async () => {
    const key = cache.key('race', 1);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const fill = cache.getOrLoad(key, async () => { await gate; return { v: 1 }; }, { version: (x) => x.v });
    await sleep(20);
    expect(await cache.set(key, { v: 2 }, { version: 2 })).toBe(true);
    release();
    expect((await fill).value).toEqual({ v: 1 }); // the caller gets what it loaded…
    expect(await cache.get(key)).toEqual({ v: 2 }); // …but the cache keeps the newer version
  });

  it('tags: invalidation makes tagged entries misses, and a fill that loaded before it cannot resurrect', async () => {
    const a = cache.key('tag', 'a');
    const b = cache.key('tag', 'b');
    const untagged = cache.key('tag', 'c');
    await cache.set(a, 'A', { tags: ['client:1'] });
    await cache.set(b, 'B', { tags: ['client:2'] });
    await cache.set(untagged, 'C');
    await cache.invalidateTags(['client:1']);
    expect(await cache.get(a)).toBeUndefined();
    expect(await cache.get(b)).toBe('B');
    expect(await cache.get(untagged)).toBe('C');

    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const fill = cache.getOrLoad(a, async () => { await gate; return 'old'; }, { tags: ['client:1'] });
    await sleep(20);
    await cache.invalidateTags(['client:1']);
    release();
    expect((await fill).value).toBe('old');
    expect(await cache.get(a)).toBeUndefined();
    const fresh = await cache.getOrLoad(a, async () => 'new', { tags: ['client:1'] });
    expect(fresh.source).toBe('loader');
    expect(await cache.get(a)).toBe('new');
  });

  it('prefix deletion treats hostile parts literally', async () => {
    const hostile = ['*', '?', '[', ']', ':', '\n', '\\', 'a b', '%', 'é'];
    for (const part of hostile) await cache.set(cache.key('hp', part, 'x'), part);
    await cache.set(cache.key('hp', 'plain', 'x'), 'plain');
    await cache.set(cache.key('hpother', 'x'), 'other');
    expect(await cache.deleteByPrefix(cache.key('hp', '*') + ':')).toBe(1);
    expect(await cache.get(cache.key('hp', '*', 'x'))).toBeUndefined();
    for (const part of hostile.filter((p) => p !== '*')) expect(await cache.get(cache.key('hp', part, 'x'))).toBe(part);
    expect(await cache.deleteByPrefix('*')).toBe(0);
    expect(await cache.deleteByPrefix('hp:')).toBe(hostile.length);
    expect(await cache.get(cache.key('hp', 'plain', 'x'))).toBeUndefined();
    expect(await cache.get(cache.key('hpother', 'x'))).toBe('other');
  });

  it('clear() touches only its own prefix', async () => {
    await f.neighbour.set(f.neighbour.key('keep', 1), 'kept');
    await cache.set(cache.key('gone', 1), 'gone');
    expect(await cache.clear()).toBeGreaterThanOrEqual(1);
    expect(await cache.get(cache.key('gone', 1))).toBeUndefined();
    expect(await f.neighbour.get(f.neighbour.key('keep', 1))).toBe('kept');
  });

  it('increment is atomic and sets the TTL only on create', async () => {
    const key = cache.key('counter', 1);
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.increment(key, 1, 10)));
    expect(new Set(results).size).toBe(20);
    expect(Math.max(...results)).toBe(20);
    const ttl = await cache.ttl(key);
    expect(ttl).toBeGreaterThan(8);
    expect(ttl).toBeLessThanOrEqual(10);
    await sleep(1100);
    await cache.increment(key, 5, 10);
    expect(await cache.ttl(key)).toBeLessThanOrEqual(9);
    expect(await cache.increment(key, -25)).toBe(0);
    expect(await cache.exists(key)).toBe(true);
  });

  it('hashes store JSON fields', async () => {
    const key = cache.key('hash', 1);
    await cache.hashSet(key, 'a', { n: 1 }, 30);
    await cache.hashSet(key, 'b', [1, 2]);
    expect(await cache.hashGet(key, 'a')).toEqual({ n: 1 });
    expect(await cache.hashGet(key, 'missing')).toBeUndefined();
    expect({ ...(await cache.hashGetAll(key)) }).toEqual({ a: { n: 1 }, b: [1, 2] });
    expect(await cache.hashGetAll(cache.key('hash', 'none'))).toEqual({});
    expect(await cache.ttl(key)).toBeGreaterThan(28);
  });

  it('mget and mset', async () => {
    const keys = [1, 2, 3].map((i) => cache.key('multi', i));
    await cache.mset<unknown>([{ key: keys[0], value: 'one' }, { key: keys[2], value: { three: 3 }, ttlSeconds: 5 }]);
    expect(await cache.mget(keys)).toEqual(['one', undefined, { three: 3 }]);
  });

  it.each([
    ['garbage', 'not an envelope'],
    ['truncated JSON', 'c2|V||1|99999999999999|EPOCH||{"a":'],
    ['unknown format version', 'c9|V||1|99999999999999|EPOCH||{"a":1}'],
    ['body on a tombstone', 'c2|T|3|1|99999999999999|EPOCH||{"a":1}'],
    ['malformed tag generation', 'c2|V||1|99999999999999|EPOCH|t=a-b|{"a":1}'],
  ])('a corrupt entry (%s) is a miss, deleted and counted', async (_label, raw) => {
    const key = cache.key('corrupt', _label);
    await f.plant(key, raw);
    const errors = cache.getStats().errors;
    expect(await cache.get(key)).toBeUndefined();
    expect(cache.getStats().errors).toBe(errors + 1);
    expect(await f.peek(key)).toBeUndefined();
    const loaded = await cache.getOrLoad(key, async () => 'fresh');
    expect(loaded.value).toBe('fresh');
  });

  it('a parsed "__proto__" key pollutes nothing', async () => {
    const key = cache.key('proto', 1);
    await f.plant(key, `c2|V||${Date.now()}|${Date.now() + 60_000}|EPOCH||{"__proto__":{"polluted":true},"a":1}`);
    const value = await cache.get<Record<string, unknown>>(key);
    expect(value?.a).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    await cache.set(cache.key('proto', 2), JSON.parse('{"__proto__":{"polluted":true}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('single-flight: 100 concurrent misses run the loader once', async () => {
    const key = cache.key('stampede', 1);
    let runs = 0;
    const before = cache.getStats().coalesced;
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.getOrLoad(key, async () => {
      runs += 1;
      await sleep(50);
      return { n: 1 };
    })));
    expect(runs).toBe(1);
    expect(cache.getStats().coalesced - before).toBe(99);
    expect(results.every((r) => r.value?.n === 1)).toBe(true);
    results[0].value!.n = 2;
    expect(results[1].value!.n).toBe(1); // every caller has its own copy
    expect((await cache.getOrLoad(key, async () => ({ n: 9 }))).value).toEqual({ n: 1 });
  });

  it('negative caching and TTL policy', async () => {
    const key = cache.key('neg', 1);
    let runs = 0;
    const load = async () => { runs += 1; return undefined; };
    expect((await cache.getOrLoad(key, load, { negativeTtlSeconds: 5 })).value).toBeUndefined();
    expect((await cache.getOrLoad(key, load, { negativeTtlSeconds: 5 })).value).toBeUndefined();
    expect(runs).toBe(1);
    const policyKey = cache.key('policy', 1);
    await cache.getOrLoad(policyKey, async () => ({ done: true }), { ttl: (v) => (v.done ? 120 : 5) });
    expect(await cache.ttl(policyKey)).toBeGreaterThan(100);
  });

  it('loader errors propagate', async () => {
    await expect(cache.getOrLoad(cache.key('err', 1), async () => { throw new Error('db down'); })).rejects.toThrow('db down');
  });

  it('stats count hits and misses', async () => {
    cache.resetStats();
    const key = cache.key('stats', 1);
    await cache.get(key);
    await cache.set(key, 1);
    await cache.get(key);
    const stats = cache.getStats();
    expect(stats.hits).toBe(1);
    expect(stats.misses).toBe(1);
    expect(stats.hitRate).toBe(50);
  });
});
