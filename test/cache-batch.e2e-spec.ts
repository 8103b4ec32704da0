import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { CacheEngine } from '../libs/redis-cache/src/engine/cache-engine.js';
import { live } from './support/bus-engines.js';
import { TestRedisServer } from './support/redis-server.js';
import { sleep } from './support/wait.js';

/**
 * getOrLoadMany on real Redis (issue 15): one loader call for every key that misses, and per key the
 * semantics of getOrLoad — hits from both tiers, versions, tags, negative caching, single flight with
 * concurrent getOrLoad callers, strict coherence across instances.
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Job { id: number; v: number }

describe('getOrLoadMany and mset', () => {
  const prefix = `test:batch:${randomUUID()}:`;
  const a = new CacheEngine({ redisUrl: REDIS_URL, keyPrefix: prefix });
  const b = new CacheEngine({ redisUrl: REDIS_URL, keyPrefix: prefix });
  const raw = new Redis(REDIS_URL, { lazyConnect: true, commandTimeout: 1000 });
  beforeAll(async () => {
    await Promise.all([live(a, b), raw.connect()]);
  });
  afterAll(async () => {
    await a.clear();
    await Promise.all([a.close(), b.close()]);
    raw.disconnect();
  });

  /** A loader that records its calls and answers `{ id, v }` for `job:<id>` keys from `versions`. */
  const recordingLoader = (versions: Map<number, number>) => {
    const calls: string[][] = [];
    const load = async (keys: string[]): Promise<Array<Job | undefined>> => {
      calls.push(keys);
      await sleep(20);
      return keys.map((key) => {
        const id = Number(key.split(':').pop());
        const v = versions.get(id);
        return v === undefined ? undefined : { id, v };
      });
    };
    return { calls, load };
  };

  it('calls the loader once with exactly the misses, answers every key in order from the right source', async () => {
    const keys = [101, 102, 103, 104].map((id) => a.key('job', id));
    await a.set(keys[1], { id: 102, v: 1 }); // L1 of a
    await b.set(keys[3], { id: 104, v: 1 }); // L2 only, for a
    const { calls, load } = recordingLoader(new Map([[101, 1], [103, 1]]));
    const results = await a.getOrLoadMany<Job>(keys, load, { ttl: 30 });
    expect(calls.map((c) => [...c].sort())).toEqual([[keys[0], keys[2]]]);
    expect(results.map((r) => r.source)).toEqual(['loader', 'l1', 'loader', 'l2']);
    expect(results.map((r) => r.value?.id)).toEqual([101, 102, 103, 104]);
    // The loaded values were cached: a second call loads nothing, and b reads them from Redis.
    const again = await a.getOrLoadMany<Job>(keys, load, { ttl: 30 });
    expect(calls).toHaveLength(1);
    expect(again.map((r) => r.source)).toEqual(['l1', 'l1', 'l1', 'l1']);
    expect(await b.get(keys[2])).toEqual({ id: 103, v: 1 });
  });

  it('keeps versions and negative caching per key', async () => {
    const keys = [1, 2].map((id) => a.key('vjob', id));
    await a.set(keys[0], { id: 1, v: 5 }, { version: 5 });
    await a.delete(keys[0]); // gone from both tiers; a load of v4 is older than nothing, so it lands
    const { calls, load } = recordingLoader(new Map([[1, 4]]));
    const results = await a.getOrLoadMany<Job>(keys, load, { ttl: 30, version: (job) => job.v, negativeTtlSeconds: 30 });
    expect(calls).toHaveLength(1);
    expect(results[0]).toMatchObject({ value: { id: 1, v: 4 }, version: 4, source: 'loader' });
    expect(results[1]).toMatchObject({ value: undefined, source: 'loader' });
    // A newer write wins over the loaded version; the "not found" is cached (no second loader call).
    expect(await a.set(keys[0], { id: 1, v: 6 }, { version: 6 })).toBe(true);
    expect(await a.set(keys[0], { id: 1, v: 4 }, { version: 4 })).toBe(false);
    const again = await b.getOrLoadMany<Job>(keys, load, { ttl: 30, negativeTtlSeconds: 30 });
    expect(calls).toHaveLength(1);
    expect(again[0].value).toEqual({ id: 1, v: 6 });
    expect(again[1]).toMatchObject({ value: undefined, source: 'l2' });
  });

  it('keeps tags per key: an invalidation during the load refuses the fill', async () => {
    const keys = [1, 2].map((id) => a.key('tjob', id));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const loading = a.getOrLoadMany<Job>(keys, async (ks) => { await gate; return ks.map((_, i) => ({ id: i + 1, v: 1 })); }, { ttl: 30, tags: ['client:t'] });
    await sleep(50);
    await b.invalidateTags(['client:t']);
    release();
    const results = await loading;
    expect(results.map((r) => r.value?.v)).toEqual([1, 1]); // answered, but not cached
    expect(await a.get(keys[0])).toBeUndefined();
    expect(String(await raw.get(`${prefix}${keys[0]}`))).not.toContain('"v":1');
  });

  it('joins a getOrLoad of the same key already in flight instead of asking the loader for it', async () => {
    const keys = [1, 2, 3].map((id) => a.key('sf', id));
    let singleRuns = 0;
    const single = a.getOrLoad(keys[1], async () => { singleRuns += 1; await sleep(100); return { id: 2, v: 1 }; }, { ttl: 30 });
    await sleep(5);
    const { calls, load } = recordingLoader(new Map([[1, 1], [2, 9], [3, 1]]));
    const results = await a.getOrLoadMany<Job>(keys, load, { ttl: 30 });
    await single;
    expect(singleRuns).toBe(1);
    expect(calls.map((c) => [...c].sort())).toEqual([[keys[0], keys[2]]]);
    expect(results.map((r) => r.value)).toEqual([{ id: 1, v: 1 }, { id: 2, v: 1 }, { id: 3, v: 1 }]);
    // And concurrent getOrLoad callers of a key the batch is loading join the batch's load.
    const more = [4, 5].map((id) => a.key('sf', id));
    const many = a.getOrLoadMany<Job>(more, async (ks) => { await sleep(50); return ks.map(() => ({ id: 0, v: 1 })); }, { ttl: 30 });
    await sleep(5);
    let joinedRuns = 0;
    const joined = await a.getOrLoad(more[0], async () => { joinedRuns += 1; return { id: 0, v: 2 }; });
    expect(joinedRuns).toBe(0);
    expect(joined.value).toEqual({ id: 0, v: 1 });
    await many;
  });

  it('strict coherence: a key loaded by one instance and updated by another is never read stale', async () => {
    const keys = [1, 2].map((id) => a.key('coh', id));
    const { load } = recordingLoader(new Map([[1, 1], [2, 1]]));
    await a.getOrLoadMany<Job>(keys, load, { ttl: 30 });
    await b.getOrLoadMany<Job>(keys, load, { ttl: 30 }); // both instances hold them in L1
    expect(await b.set(keys[0], { id: 1, v: 2 })).toBe(true); // acknowledged once a has dropped its copy
    const afterUpdate = await a.getOrLoadMany<Job>(keys, async () => { throw new Error('no load expected'); }, { ttl: 30 });
    expect(afterUpdate.map((r) => r.value?.v)).toEqual([2, 1]);
  });

  it('a miss answers what a hit answers: the value parsed from the stored JSON, never the loader\'s object', async () => {
    const loaded = { at: new Date(0), n: 1 };
    const miss = await a.getOrLoad(a.key('types', 1), async () => loaded, { ttl: 30 });
    const [batchMiss] = await a.getOrLoadMany([a.key('types', 2)], async () => [loaded], { ttl: 30 });
    const hit = await a.getOrLoad(a.key('types', 1), async () => loaded, { ttl: 30 });
    for (const r of [miss, batchMiss]) {
      expect(r.source).toBe('loader');
      expect(r.value).not.toBe(loaded);
      expect(r.value).toEqual({ at: '1970-01-01T00:00:00.000Z', n: 1 });
    }
    expect(hit).toMatchObject({ source: 'l1', value: miss.value });
  });

  it('mset: every entry in both tiers, and once it resolves no instance serves an older copy', async () => {
    const keys = [1, 2, 3].map((id) => a.key('mset', id));
    await a.mset(keys.map((key, i) => ({ key, value: { id: i, v: 1 }, ttlSeconds: 30 })));
    expect(await b.mget<Job>(keys)).toEqual([0, 1, 2].map((id) => ({ id, v: 1 }))); // b now holds them in L1
    const sets = a.getStats().sets;
    await a.mset(keys.map((key, i) => ({ key, value: { id: i, v: 2 } })));
    expect(await b.mget<Job>(keys)).toEqual([0, 1, 2].map((id) => ({ id, v: 2 })));
    expect(a.getStats().sets - sets).toBe(3);
    expect(JSON.parse((await raw.get(`${prefix}${keys[2]}`))!.split('|').slice(7).join('|'))).toEqual({ id: 2, v: 2 });
  });

  it('one loader call for all misses, results per position for repeated keys, errors reject and are not cached', async () => {
    const keys = [1, 2, 1].map((id) => a.key('err', id));
    await expect(a.getOrLoadMany(keys, async () => { throw new Error('db down'); })).rejects.toThrow('db down');
    expect(await a.get(keys[0])).toBeUndefined();
    await expect(a.getOrLoadMany(keys, async () => [{ id: 1 }])).rejects.toThrow(/returned 1 values for 2 keys/);
    let calls = 0;
    const results = await a.getOrLoadMany(keys, async (ks) => { calls += 1; return ks.map((k) => ({ k })); }, { ttl: 30 });
    expect(calls).toBe(1);
    expect(results.map((r) => (r.value as { k: string }).k)).toEqual(keys);
    expect(await a.getOrLoadMany([], async () => { throw new Error('not called'); })).toEqual([]);
  });
});

describe('mset on one Redis server: one command per 100 keys', () => {
  it('sends SET_MANY (no SET per key), every entry lands with its TTL, and a peer serves the new values', async () => {
    // Its own Redis: the command counts are this test's alone.
    const server = await TestRedisServer.start();
    const admin = server.admin();
    const probe = server.admin();
    const a = new CacheEngine({ redisUrl: server.url, keyPrefix: 'msone:' });
    const b = new CacheEngine({ redisUrl: server.url, keyPrefix: 'msone:' });
    try {
      await live(a, b);
      const keys = Array.from({ length: 150 }, (_, i) => a.key('job', i));
      await b.mset(keys.map((key, i) => ({ key, value: { i, v: 1 }, ttlSeconds: 60 })));
      expect(await a.mget(keys)).toEqual(keys.map((_, i) => ({ i, v: 1 }))); // now in a's L1 too
      // MONITOR on this test's own Redis: what clients send, and what scripts run (source `lua`).
      const monitor = await admin.monitor();
      const sent: Array<{ command: string; lua: boolean }> = [];
      monitor.on('monitor', (_time: string, args: string[], source: string) => sent.push({ command: args[0].toLowerCase(), lua: source === 'lua' }));
      await b.mset(keys.map((key, i) => ({ key, value: { i, v: 2 }, ttlSeconds: i < 75 ? 60 : 120 })));
      await sleep(100);
      monitor.disconnect();
      const count = (command: string, lua: boolean) => sent.filter((c) => c.command === command && c.lua === lua).length;
      expect(count('set', false)).toBe(0);
      expect(count('evalsha', false) + count('eval', false)).toBe(2); // 100 keys, then 50
      expect(count('set', true)).toBe(150);
      expect(await a.mget(keys)).toEqual(keys.map((_, i) => ({ i, v: 2 }))); // a's L1 copies were dropped
      const pttl = await Promise.all([0, 74, 75, 149].map((i) => probe.pttl(`msone:${keys[i]}`)));
      expect(pttl[0]).toBeGreaterThan(50_000);
      expect(pttl[1]).toBeLessThanOrEqual(60_000 + 1_000);
      expect(pttl[2]).toBeGreaterThan(110_000);
      expect(pttl[3]).toBeGreaterThan(110_000);
      // An entry over maxEntryBytes in the same batch is refused on its own; the rest still land.
      const small = new CacheEngine({ redisUrl: server.url, keyPrefix: 'msone:', maxEntryBytes: 2_000 });
      await small.connect();
      try {
        await small.mset([{ key: keys[0], value: { i: 0, v: 3 } }, { key: keys[1], value: { big: 'x'.repeat(5_000) } }]);
        expect(await small.get(keys[0])).toEqual({ i: 0, v: 3 });
        expect(await small.get(keys[1])).toBeUndefined();
        expect(await probe.exists(`msone:${keys[1]}`)).toBe(0);
      } finally {
        await small.close();
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
      admin.disconnect();
      probe.disconnect();
      await server.stop();
    }
  });
});

describe('the Redis calls of one tick on one server: one command for all', () => {
  it('concurrent L2 reads go as one MGET, concurrent misses as one lease script and one fill script; a key of another type fails alone', async () => {
    const server = await TestRedisServer.start();
    const admin = server.admin();
    const probe = server.admin();
    const writer = new CacheEngine({ redisUrl: server.url, keyPrefix: 'tick:', bus: { enabled: false } });
    const reader = new CacheEngine({ redisUrl: server.url, keyPrefix: 'tick:', bus: { enabled: false }, l1: { enabled: false } });
    try {
      await Promise.all([writer.connect(), reader.connect()]);
      const hits = Array.from({ length: 30 }, (_, i) => writer.key('hit', i));
      for (const [i, key] of hits.entries()) await writer.set(key, { i });
      await probe.hset(`tick:${writer.key('hash', 1)}`, 'f', 'v'); // not an entry: another type
      const monitor = await admin.monitor();
      const sent: Array<{ command: string; lua: boolean }> = [];
      monitor.on('monitor', (_time: string, args: string[], source: string) => sent.push({ command: args[0].toLowerCase(), lua: source === 'lua' }));
      const fromClients = (command: string) => sent.filter((c) => !c.lua && c.command === command).length;

      const read = await Promise.allSettled([...hits, writer.key('hash', 1)].map((key) => reader.get(key)));
      expect(read.slice(0, 30).map((r) => (r as PromiseFulfilledResult<unknown>).value)).toEqual(hits.map((_, i) => ({ i })));
      expect(read[30]).toEqual({ status: 'fulfilled', value: undefined }); // a miss, as a lone GET's WRONGTYPE is
      await sleep(50);
      expect(fromClients('mget')).toBe(1);
      expect(fromClients('get')).toBe(0);

      sent.length = 0;
      const misses = Array.from({ length: 30 }, (_, i) => writer.key('miss', i));
      const loads: string[] = [];
      const results = await Promise.allSettled([...misses, writer.key('hash', 1)].map((key) => writer.getOrLoad(key, async () => { loads.push(key); return { key }; }, { ttl: 30 })));
      expect(results.slice(0, 30).map((r) => (r as PromiseFulfilledResult<{ source: string }>).value.source)).toEqual(misses.map(() => 'loader'));
      // The hash key's lease read failed alone: it was loaded (not cached), and the hash was left as it was.
      expect(results[30]).toMatchObject({ status: 'fulfilled', value: { source: 'loader' } });
      expect(await probe.hget(`tick:${writer.key('hash', 1)}`, 'f')).toBe('v');
      await sleep(50);
      const scripts = sent.filter((c) => !c.lua && (c.command === 'evalsha' || c.command === 'eval')).length;
      expect(scripts).toBe(2); // GET_OR_LEASE_MANY for the 31 keys, WRITE_IF_NEWER_MANY for the 30 fills
      expect(sent.filter((c) => c.lua && c.command === 'set')).toHaveLength(60); // 30 leases, then 30 fills
      monitor.disconnect();
      for (const key of misses) expect(await reader.get(key)).toEqual({ key });
      expect(loads).toHaveLength(31);

      // A fill sent in a batch is still refused by its lease when the key was written while it loaded: every
      // loader waits for the same write (after the leases were placed), so all ten fills leave in one tick.
      const raced = Array.from({ length: 10 }, (_, i) => writer.key('raced', i));
      let written: Promise<unknown> | undefined;
      await Promise.all(raced.map((key) => writer.getOrLoad(key, async () => {
        written ??= reader.set(raced[3], { key: raced[3], by: 'writer' });
        await written;
        return { key };
      }, { ttl: 30 })));
      expect(await reader.get(raced[3])).toEqual({ key: raced[3], by: 'writer' });
      expect(await reader.get(raced[4])).toEqual({ key: raced[4] });
    } finally {
      await Promise.all([writer.close(), reader.close()]);
      admin.disconnect();
      probe.disconnect();
      await server.stop();
    }
  });
});
