import { copyFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { CacheWriteRefusedError } from '../libs/redis-cache/src/engine/cache.errors.js';
import { CacheEngine } from '../libs/redis-cache/src/engine/cache-engine.js';
import type { CacheEngineOptions } from '../libs/redis-cache/src/engine/cache.types.js';
import { freePort, TestRedisServer } from './support/redis-server.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { live } from './support/bus-engines.js';
import { sleep, until } from './support/wait.js';

/**
 * The strict-coherence guarantee at the engine level, under the Redis faults that used to break it: either a
 * strict write is refused before anything changed (`admitWrite` throws), or once it resolved no read that
 * starts afterwards, on any instance, returns an older version or a deleted entity. Two engines share a
 * test-owned Redis; a writer cut off from it, a Redis restarted empty or from an older snapshot, lost
 * protocol keys and a full Redis are all real. The "database" is a variable the loaders read.
 */
const LEASE_MS = 300;
const WINDOW_MS = 2_400;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function engine(url: string, prefix: string, extra: Partial<CacheEngineOptions> = {}): CacheEngine {
  const created = new CacheEngine({
    redisUrl: url, keyPrefix: prefix, commandTimeoutMs: 150, connectTimeoutMs: 500, graceSeconds: 0,
    circuitBreaker: { failureThreshold: 3, cooldownMs: 200 }, bus: { leaseMs: LEASE_MS, writeWindowMs: WINDOW_MS }, ...extra,
  });
  cleanups.push(() => created.close());
  return created;
}

async function ownRedis(args: string[] = []): Promise<TestRedisServer> {
  const server = await TestRedisServer.start({ args });
  cleanups.push(() => server.stop());
  return server;
}

async function rawClient(url: string): Promise<Redis> {
  const raw = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, commandTimeout: 2_000 });
  await raw.connect();
  cleanups.push(() => { raw.disconnect(); });
  return raw;
}

/** Both engines hear each other, hold their lease and trust the cache. */
async function settled(...engines: CacheEngine[]): Promise<boolean> {
  return until(() => engines.every((e) => {
    const bus = e.getStats().bus;
    return bus.state === 'live' && bus.trusted && bus.peers >= engines.length - 1;
  }), 4_000);
}

/** A row: its version (0 = deleted) and what a loader reads. */
class Row {
  version = 1;
  load = async (): Promise<{ v: number } | undefined> => (this.version === 0 ? undefined : { v: this.version });
}

/** A writer that reaches Redis through a proxy (to cut it off) and a reader that reaches it directly, settled. */
async function writerBehindProxy(prefix: string, writerOptions: Partial<CacheEngineOptions> = {}): Promise<{ server: TestRedisServer; proxy: TcpProxy; writer: CacheEngine; reader: CacheEngine }> {
  const server = await ownRedis();
  const proxy = await TcpProxy.start(server.port);
  cleanups.push(() => proxy.stop());
  const writer = engine(proxy.url, prefix, writerOptions);
  const reader = engine(server.url, prefix);
  await Promise.all([writer.connect(), reader.connect()]);
  expect(await settled(writer, reader)).toBe(true);
  return { server, proxy, writer, reader };
}

const versioned = { version: (value: { v: number }) => value.v };

describe('strict coherence through Redis faults (engine level)', () => {
  it('the writer alone cut off from Redis: its write is acknowledged only once the reader no longer trusts its cache', async () => {
    const { server, proxy, writer, reader } = await writerBehindProxy('coh-cut:');
    const row = new Row();
    const key = reader.key('job', 1);
    expect((await reader.getOrLoad(key, row.load, versioned)).value).toEqual({ v: 1 });
    expect((await reader.getOrLoad(key, row.load, versioned)).source).toBe('l1');

    proxy.setMode('blackhole'); // the writer's data and bus sockets stay open, nothing gets through
    writer.admitWrite(key); // within its write window: admitted
    row.version = 2; // committed
    const started = performance.now();
    await writer.set(key, { v: 2 }, { version: 2 });
    const waited = performance.now() - started;
    // The reader, which never heard of the write, must not serve v1 from L1 or L2 now.
    expect((await reader.getOrLoad(key, row.load, versioned)).value).toEqual({ v: 2 });
    expect(await reader.get(key)).toBeUndefined(); // a plain read does not trust the cache while the writer is silent
    expect(reader.getStats().bus).toMatchObject({ trusted: false, silentMembers: 1 });
    expect(writer.getStats().bus.dark).toBe(true);
    expect(writer.getStats().busUnconfirmed).toBeGreaterThanOrEqual(1);
    expect(waited).toBeGreaterThan(LEASE_MS / 2);
    expect(waited).toBeLessThan(2 * LEASE_MS + 150);

    // A second write while still cut off: the peers already distrust, so no further wait.
    writer.admitWrite(key);
    row.version = 3;
    const second = performance.now();
    await writer.set(key, { v: 3 }, { version: 3 });
    expect(performance.now() - second).toBeLessThan(50);
    expect((await reader.getOrLoad(key, row.load, versioned)).value).toEqual({ v: 3 });

    // Healed: the writer repairs Redis before it heartbeats again; then everyone trusts the cache again.
    proxy.cut();
    proxy.heal();
    expect(await until(() => !writer.getStats().bus.dark && reader.getStats().bus.trusted, 5_000)).toBe(true);
    const raw = await rawClient(server.url);
    expect((await raw.get('coh-cut:job:1')) ?? 'repaired').not.toMatch(/^c2\|V\|1\|/);
    for (const cache of [reader, writer]) expect((await cache.getOrLoad(key, row.load, versioned)).value).toEqual({ v: 3 });
  });

  it('mset while the writer is cut off: no key is read old anywhere, and all of them are repaired before Redis is trusted', async () => {
    const { server, proxy, writer, reader } = await writerBehindProxy('coh-mset:');
    const keys = [1, 2, 3].map((id) => reader.key('job', id));
    const rows = new Map(keys.map((key) => [key, 1]));
    const load = (key: string) => async () => ({ v: rows.get(key)! });
    await writer.mset(keys.map((key) => ({ key, value: { v: 1 } })));
    for (const key of keys) expect(await reader.getOrLoad(key, load(key))).toMatchObject({ value: { v: 1 }, source: 'l2' });
    expect((await reader.getOrLoad(keys[0], load(keys[0]))).source).toBe('l1');

    proxy.setMode('blackhole');
    for (const key of keys) writer.admitWrite(key);
    for (const key of keys) rows.set(key, 2); // committed
    await writer.mset(keys.map((key) => ({ key, value: { v: 2 } })));
    for (const key of keys) {
      expect(await reader.get(key)).toBeUndefined(); // the writer is silent: the cache is not trusted
      expect((await reader.getOrLoad(key, load(key))).value).toEqual({ v: 2 });
    }

    proxy.cut();
    proxy.heal();
    expect(await until(() => !writer.getStats().bus.dark && reader.getStats().bus.trusted, 5_000)).toBe(true);
    // Every key of the batch the writer could not send was repaired: Redis no longer holds v1 under any of them.
    const raw = await rawClient(server.url);
    for (const key of keys) expect((await raw.get(`coh-mset:${key}`)) ?? 'repaired').not.toMatch(/\{"v":1\}$/);
    for (const cache of [reader, writer]) {
      for (const key of keys) expect((await cache.getOrLoad(key, load(key))).value).toEqual({ v: 2 });
    }
  });

  it('while the cache is not trusted, an L1 copy is never served as stale, even when the load is slow and grace allows stale', async () => {
    const server = await ownRedis();
    const proxy = await TcpProxy.start(server.port);
    cleanups.push(() => proxy.stop());
    const writer = engine(proxy.url, 'coh-nostale:');
    // Grace and a soft load timeout: past TTL a stale value may stand in for a slow load. An untrusted one may not.
    const reader = engine(server.url, 'coh-nostale:', { graceSeconds: 60, loadTimeoutMs: 30 });
    await Promise.all([writer.connect(), reader.connect()]);
    expect(await settled(writer, reader)).toBe(true);
    const row = new Row();
    const slowLoad = async () => { await sleep(150); return row.load(); };
    const key = reader.key('job', 1);
    expect((await reader.getOrLoad(key, row.load, versioned)).value).toEqual({ v: 1 });

    proxy.setMode('blackhole');
    writer.admitWrite(key);
    row.version = 2;
    await writer.set(key, { v: 2 }, { version: 2 });
    // Acknowledged: the reader distrusts its cache now; its L1 still holds v1, and its load is slow.
    const first = await reader.getOrLoad(key, slowLoad, versioned);
    expect(first).toMatchObject({ value: { v: 2 }, source: 'loader' });
    const concurrent = await Promise.all([1, 2, 3].map(() => reader.getOrLoad(key, slowLoad, versioned)));
    for (const result of concurrent) expect(result.value).toEqual({ v: 2 });
    expect(reader.getStats().staleServed).toBe(0);
  });

  it('an epoch a peer started (its coordination record evicted): no older version lands over a newer one, and L1 is dropped', async () => {
    const server = await ownRedis();
    const [a, b] = [engine(server.url, 'coh-epoch:'), engine(server.url, 'coh-epoch:')];
    await Promise.all([a.connect(), b.connect()]);
    expect(await settled(a, b)).toBe(true);
    const raw = await rawClient(server.url);
    const key = a.key('job', 1);
    await a.set(key, { v: 1 }, { version: 1 });
    expect(a.getStats().l1.entries).toBe(1);

    // The record is evicted; the next heartbeat starts a new epoch, and each instance drops its L1 on learning it.
    const before = await raw.hget('coh-epoch:!coord', 'epoch');
    await raw.del('coh-epoch:!coord');
    expect(await until(async () => {
      const now = await raw.hget('coh-epoch:!coord', 'epoch');
      return now !== null && now !== before && a.getStats().l1.entries === 0 && b.getStats().l1.entries === 0;
    }, 3_000)).toBe(true);

    // A peer wrote v7 in some other epoch; this instance, in its own, comes late with v6: refused, not cached.
    await raw.set('coh-epoch:job:2', `c2|V|7|${Date.now()}|${Date.now() + 60_000}|Eother||{"v":7}`, 'PX', 60_000);
    const late = a.key('job', 2);
    expect(await a.set(late, { v: 6 }, { version: 6 })).toBe(false);
    expect(await raw.get('coh-epoch:job:2')).toMatch(/^c2\|V\|7\|/);
    expect(await a.get(late)).toBeUndefined();
    expect(await a.set(late, { v: 8 }, { version: 8 })).toBe(true);
    expect(await b.get(late)).toEqual({ v: 8 });
  });

  it('an instance whose heartbeat never landed refuses strict writes, though Redis answers its clock (TIME)', async () => {
    const server = await ownRedis();
    const admin = await rawClient(server.url);
    // Scripts denied: every heartbeat (a script) fails, while TIME and plain commands work.
    await admin.call('ACL', 'SETUSER', 'noscripts', 'on', '>no-scripts-123', '~*', '&*', '+@all', '-@scripting');
    const unheard = engine(`redis://noscripts:no-scripts-123@127.0.0.1:${server.port}`, 'coh-unheard:');
    await unheard.connect();
    await sleep(3 * LEASE_MS);
    // It did get Redis' clock; what it never got is a heartbeat into the record its peers read.
    const stats = await admin.info('commandstats');
    expect(Number(/cmdstat_time:calls=(\d+)/.exec(stats)?.[1] ?? 0)).toBeGreaterThan(0);
    expect(await admin.hexists('coh-unheard:!coord', 'epoch')).toBe(0);
    expect(() => unheard.admitWrite(unheard.key('job', 1))).toThrow(CacheWriteRefusedError);
  });

  it('a writer that has not heard a peer yet waits for it when the record lists it: the peer whose bus just dropped keeps its lease', async () => {
    const lease = { leaseMs: 2_000, heartbeatMs: 1_500, writeWindowMs: 20_000 };
    const server = await ownRedis();
    const busProxy = await TcpProxy.start(server.port);
    cleanups.push(() => busProxy.stop());
    const raw = await rawClient(server.url);
    // The peer: data straight to Redis, its bus through a proxy (to drop its subscription alone).
    const peer = engine(server.url, 'coh-unheard-peer:', { bus: { ...lease, redisUrl: busProxy.url } });
    // Holding its lease before it reads (connect gives up after connectTimeoutMs on a loaded machine), so L1 serves.
    await live(peer);
    const row = new Row();
    const key = peer.key('job', 1);
    expect((await peer.getOrLoad(key, row.load, versioned)).source).toBe('loader');
    expect((await peer.getOrLoad(key, row.load, versioned)).source).toBe('l1');
    // Right after one of its heartbeats landed (and renewed its lease), its subscription is reset: Redis no
    // longer counts it, its heartbeats (on the data connection) go on, and its lease runs about 2 s more.
    const field = (await raw.hkeys('coh-unheard-peer:!coord')).find((f) => f.startsWith('m:'))!;
    const seen = await raw.hget('coh-unheard-peer:!coord', field);
    expect(await until(async () => (await raw.hget('coh-unheard-peer:!coord', field)) !== seen, 3_000)).toBe(true);
    busProxy.cut(true);

    // A writer starts now: its subscription is young, the peer's next heartbeat is over a second away.
    const writer = engine(server.url, 'coh-unheard-peer:', { bus: lease });
    await writer.connect();
    writer.admitWrite(key);
    row.version = 2;
    await writer.set(key, { v: 2 }, { version: 2 });
    expect((await peer.getOrLoad(key, row.load, versioned)).value).toEqual({ v: 2 });
  }, 20_000);

  it('a writer that went dark is heard again only after its peers noticed its silence, however soon Redis is back', async () => {
    // A lease long enough that Redis is back (reconnected, repaired) well before the writer may acknowledge.
    const leaseMs = 2_000;
    const server = await ownRedis();
    const proxy = await TcpProxy.start(server.port);
    cleanups.push(() => proxy.stop());
    const bus = { leaseMs, writeWindowMs: 20_000 };
    const writer = engine(proxy.url, 'coh-rejoin:', { bus });
    const reader = engine(server.url, 'coh-rejoin:', { bus });
    await Promise.all([writer.connect(), reader.connect()]);
    expect(await settled(writer, reader)).toBe(true);
    const raw = await rawClient(server.url);
    const key = reader.key('job', 1);
    const row = new Row();
    await reader.getOrLoad(key, row.load, versioned);
    const record = 'coh-rejoin:!coord';
    const fields = (await raw.hkeys(record)).filter((f) => f.startsWith('m:'));
    proxy.setMode('blackhole');
    // The field of the instance that stops heartbeating is the writer's.
    const before = new Map(await Promise.all(fields.map(async (f) => [f, await raw.hget(record, f)] as const)));
    await sleep(leaseMs / 2);
    const after = new Map(await Promise.all(fields.map(async (f) => [f, await raw.hget(record, f)] as const)));
    const writerField = fields.find((f) => before.get(f) === after.get(f))!;
    const lastHeard = Number(after.get(writerField));

    writer.admitWrite(key);
    row.version = 2;
    const acknowledged = writer.set(key, { v: 2 }, { version: 2 });
    await sleep(20);
    proxy.cut();
    proxy.heal(); // Redis is back long before the writer's acknowledgement time
    // The writer's first heartbeat since it went dark, as the record shows it.
    let firstHeardAgain: number | undefined;
    expect(await until(async () => {
      const seen = Number(await raw.hget(record, writerField));
      if (seen !== lastHeard) firstHeardAgain = seen;
      return firstHeardAgain !== undefined;
    }, 6_000)).toBe(true);
    await acknowledged;
    // It landed no earlier than a lease after the last one its peers had heard.
    expect(firstHeardAgain! - lastHeard).toBeGreaterThanOrEqual(leaseMs);
    expect((await reader.getOrLoad(key, row.load, versioned)).value).toEqual({ v: 2 });
  }, 20_000);

  it('close() while an admitted write is still committing: the write is announced and acknowledged, not refused', async () => {
    const server = await ownRedis();
    const [writer, reader] = [engine(server.url, 'coh-close:'), engine(server.url, 'coh-close:')];
    await Promise.all([writer.connect(), reader.connect()]);
    expect(await settled(writer, reader)).toBe(true);
    const row = new Row();
    const key = reader.key('job', 1);
    expect((await reader.getOrLoad(key, row.load, versioned)).value).toEqual({ v: 1 });
    writer.admitWrite(key); // inside the transaction, right before COMMIT…
    const closing = writer.close(); // …the instance is told to shut down…
    await sleep(50);
    row.version = 2; // …and the COMMIT lands
    await writer.set(key, { v: 2 }, { version: 2 });
    expect((await reader.getOrLoad(key, row.load, versioned)).value).toEqual({ v: 2 });
    await closing;
    expect(() => writer.admitWrite(key)).toThrow(CacheWriteRefusedError);
  });

  it('past its write window a cut-off writer refuses strict writes, and its peers expire it and trust a new epoch', async () => {
    const { proxy, writer, reader } = await writerBehindProxy('coh-window:');
    const row = new Row();
    const key = reader.key('job', 1);
    await reader.getOrLoad(key, row.load, versioned);
    proxy.cut(true); // refused: connections reset
    const cutAt = performance.now();
    row.version = 2;
    writer.admitWrite(key);
    await writer.set(key, { v: 2 }, { version: 2 });
    expect((await reader.getOrLoad(key, row.load, versioned)).value).toEqual({ v: 2 });

    // The writer refuses before its peers may expire it (window minus a margin)…
    expect(await until(() => {
      try {
        writer.admitWrite(key);
        return false;
      } catch (error) {
        return error instanceof CacheWriteRefusedError && error.retryAfterSeconds >= 1;
      }
    }, WINDOW_MS + 1_000)).toBe(true);
    const refusedAfter = performance.now() - cutAt;
    expect(refusedAfter).toBeLessThan(WINDOW_MS);
    expect(writer.getStats().writesRefused).toBeGreaterThanOrEqual(1);
    // …and they trust their caches again once it is past its window, in a new epoch (its writes unreachable).
    expect(await until(() => reader.getStats().bus.trusted, WINDOW_MS + 2_000)).toBe(true);
    expect(performance.now() - cutAt).toBeGreaterThan(WINDOW_MS);
    expect((await reader.getOrLoad(key, row.load, versioned)).value).toEqual({ v: 2 });
  }, 20_000);

  it('an instance that was never heard by its peers refuses strict writes (and admits eventual ones)', async () => {
    const port = await freePort();
    const fresh = engine(`redis://127.0.0.1:${port}`, 'coh-fresh:', { coherenceByNamespace: { stats: 'eventual' } });
    await fresh.connect();
    expect(() => fresh.admitWrite(fresh.key('job', 1))).toThrow(CacheWriteRefusedError);
    expect(() => fresh.admitWrite(fresh.key('stats', 1))).not.toThrow();
    const server = await TestRedisServer.start({ port });
    cleanups.push(() => server.stop());
    expect(await until(() => fresh.isRedisAvailable(), 4_000)).toBe(true);
    expect(() => fresh.admitWrite(fresh.key('job', 1))).not.toThrow();
  });

  it('Redis restarted from an older snapshot: nothing written before the restart is read again', async () => {
    const server = await ownRedis();
    const writer = engine(server.url, 'coh-snap:');
    const reader = engine(server.url, 'coh-snap:');
    await Promise.all([writer.connect(), reader.connect()]);
    expect(await settled(writer, reader)).toBe(true);
    const raw = await rawClient(server.url);
    const row = new Row();
    const key = writer.key('job', 1);
    const gone = writer.key('job', 2);
    await writer.set(key, { v: 1 }, { version: 1 });
    await writer.set(gone, { v: 1 }, { version: 1 });
    await raw.save(); // the snapshot holds v1 of job 1, job 2, and the coordination record of that Redis
    row.version = 2;
    await writer.set(key, { v: 2 }, { version: 2 });
    await writer.delete(gone, { version: 2 }); // job 2 deleted, acknowledged
    raw.disconnect();
    await server.restart(); // loads the older snapshot
    expect(await until(() => writer.isRedisAvailable() && reader.isRedisAvailable(), 5_000)).toBe(true);
    const restored = await rawClient(server.url);
    expect(await restored.get('coh-snap:job:1')).toMatch(/^c2\|V\|1\|/); // the old value is back in Redis…
    for (const cache of [reader, writer]) {
      expect(await cache.get(key)).toBeUndefined(); // …and never read: another epoch
      expect(await cache.get(gone)).toBeUndefined();
    }
    for (const cache of [reader, writer]) expect((await cache.getOrLoad(key, row.load, versioned)).value).toEqual({ v: 2 });
  });

  it('a connection it reset itself after a timeout comes back to a Redis restored from an older snapshot: nothing before the restart is read', async () => {
    // Behind a stable address (a proxy, a DNS name) Redis restarts from an older snapshot while this instance
    // reconnects after dropping its own connection on a timeout: that reconnect, not a lost connection, is the
    // first it sees of the restart. The key is written with `l1: false`: every read of it goes to Redis.
    const first = await ownRedis();
    const restored = await ownRedis();
    const [data, bus] = [await TcpProxy.start(first.port), await TcpProxy.start(first.port)];
    cleanups.push(() => data.stop(), () => bus.stop());
    let resets = 0;
    const logger = {
      log: () => undefined,
      error: () => undefined,
      warn: (message: string) => {
        if (!message.includes('timed out; reconnecting')) return;
        // The reset is under way: the old server goes, the restored one answers at the same address.
        resets += 1;
        data.retarget(restored.port);
        data.setMode('pass');
        // The bus comes back to it too, a second later (its reconnects refused meanwhile): until then nothing
        // on the bus tells this instance that Redis changed.
        bus.retarget(restored.port);
        bus.cut(true);
        setTimeout(() => bus.heal(), 1_000).unref();
        void first.kill();
      },
    };
    const cache = engine(data.url, 'coh-reset:', {
      logger, circuitBreaker: { failureThreshold: 10, cooldownMs: 200 }, bus: { leaseMs: 2_000, writeWindowMs: 20_000, redisUrl: bus.url },
    });
    await live(cache);
    const key = cache.key('job', 1);
    expect(await cache.set(key, { v: 1 }, { version: 1, l1: false })).toBe(true);
    await (await rawClient(first.url)).save(); // the snapshot: v1 and the coordination record of the first Redis
    expect(await cache.set(key, { v: 2 }, { version: 2, l1: false })).toBe(true); // acknowledged
    await restored.kill();
    copyFileSync(first.dumpPath, restored.dumpPath);
    await restored.restart();
    expect(await (await rawClient(restored.url)).get('coh-reset:job:1')).toMatch(/^c2\|V\|1\|/);

    data.setMode('blackhole'); // the next command times out, and the instance resets its connection
    await cache.get(cache.key('job', 99));
    expect(resets).toBe(1);
    let older = 0;
    let reads = 0;
    let availableReads = 0;
    const endAt = performance.now() + 2_500;
    while (performance.now() < endAt) {
      const available = cache.isRedisAvailable();
      const seen = await cache.get<{ v: number }>(key);
      reads += 1;
      if (available) availableReads += 1;
      if (seen !== undefined && seen.v < 2) older += 1;
      await sleep(5);
    }
    console.log(`reset onto a restored Redis: ${reads} reads, ${availableReads} with Redis available, ${older} older than acknowledged`);
    expect(older).toBe(0);
    expect(availableReads).toBeGreaterThan(0); // Redis really was read again after the reset
    expect(data.traffic.accepted).toBeGreaterThanOrEqual(2); // the reconnect went to the restored server
  });

  it('lost protocol keys read as invalid: a tag generation, and a tombstone under an in-flight fill', async () => {
    const server = await ownRedis();
    const writer = engine(server.url, 'coh-lost:');
    const reader = engine(server.url, 'coh-lost:', { l1: { enabled: false } });
    await Promise.all([writer.connect(), reader.connect()]);
    expect(await settled(writer, reader)).toBe(true);
    const raw = await rawClient(server.url);

    // A list cached under tag `client:a`, invalidated (and not read since, so it is still in Redis): losing
    // the generation key must not bring it back (with counters, a lost generation read as 0 again — the
    // generation the old list was written under).
    const list = reader.key('list', 'a');
    await reader.getOrLoad(list, async () => ['job 1'], { tags: ['client:a'] });
    await writer.invalidateTags(['client:a']);
    expect(await raw.exists('coh-lost:list:a')).toBe(1);
    await raw.del('coh-lost:!tag:client%3Aa'); // evicted
    expect(await reader.get(list)).toBeUndefined();
    const page = ['job 1', 'job 2'];
    expect((await reader.getOrLoad(list, async () => page, { tags: ['client:a'] })).value).toEqual(page);
    expect(await reader.get(list)).toEqual(page);

    // A fill that read the row before it was deleted, whose tombstone is then evicted: still refused.
    const key = reader.key('job', 9);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const slowFill = reader.getOrLoad(key, async () => { await gate; return { v: 1 }; }, versioned);
    await sleep(30); // the fill has taken its lease and read v1
    await writer.delete(key, { version: 2 }); // the row is deleted: a tombstone
    await raw.del('coh-lost:job:9'); // the tombstone is evicted
    release();
    expect((await slowFill).value).toEqual({ v: 1 }); // the caller that asked before the delete gets what it read
    expect(await raw.exists('coh-lost:job:9')).toBe(0); // but it was not cached
    expect(await reader.get(key)).toBeUndefined();
  });

  it('Redis refusing writes (OOM under noeviction): writes wait out the lease, reads go to the loader, never stale', async () => {
    const server = await ownRedis(['--maxmemory', '4mb', '--maxmemory-policy', 'noeviction']);
    const writer = engine(server.url, 'coh-oom:');
    const reader = engine(server.url, 'coh-oom:');
    await Promise.all([writer.connect(), reader.connect()]);
    expect(await settled(writer, reader)).toBe(true);
    const raw = await rawClient(server.url);
    const row = new Row();
    const key = writer.key('job', 1);
    await reader.getOrLoad(key, row.load, versioned);
    const filler = 'x'.repeat(64 * 1024);
    for (let i = 0; ; i += 1) {
      try {
        await raw.set(`junk:${i}`, filler);
      } catch (error) {
        expect(String(error)).toMatch(/OOM/);
        break;
      }
    }
    row.version = 2;
    writer.admitWrite(key);
    const started = performance.now();
    await writer.set(key, { v: 2 }, { version: 2 });
    expect(performance.now() - started).toBeLessThan(2 * LEASE_MS + 150);
    for (let i = 0; i < 5; i += 1) {
      expect((await reader.getOrLoad(key, row.load, versioned)).value).toEqual({ v: 2 });
      await sleep(50);
    }
    // Memory freed: the writer repairs, heartbeats, and the cache is trusted and right again.
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', 'junk:*', 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await raw.unlink(...keys);
    } while (cursor !== '0');
    expect(await until(() => !writer.getStats().bus.dark && reader.getStats().bus.trusted && writer.getStats().bus.trusted, 5_000)).toBe(true);
    for (const cache of [reader, writer]) expect((await cache.getOrLoad(key, row.load, versioned)).value).toEqual({ v: 2 });
  });

  it('an ACL that denies INFO (-@dangerous): the cache still coordinates, and says what it cannot detect', async () => {
    const server = await ownRedis();
    const admin = await rawClient(server.url);
    await admin.call('ACL', 'SETUSER', 'app', 'on', '>app-pass-123', '~*', '&*', '+@all', '-@dangerous');
    const warnings: string[] = [];
    const logger = { log: () => undefined, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
    const url = `redis://app:app-pass-123@127.0.0.1:${server.port}`;
    const [a, b] = [engine(url, 'coh-acl:', { logger }), engine(url, 'coh-acl:')];
    await Promise.all([a.connect(), b.connect()]);
    expect(await settled(a, b)).toBe(true);
    expect(warnings.some((w) => w.includes('denies INFO'))).toBe(true);
    const key = a.key('job', 1);
    a.admitWrite(key);
    await a.set(key, { v: 1 }, { version: 1 });
    expect(await b.get(key)).toEqual({ v: 1 });
  });

  it('an instance cut off for longer than its clock can be trusted heartbeats again once Redis answers', async () => {
    // Its Redis clock errs earlier by 1 % of the time since it last heard Redis: after a 5 s cut, 50 ms — more
    // than this command timeout, so a deadline taken from that old clock is past before the heartbeat runs.
    // The clock must be taken afresh, or the instance stays silent (and its peers distrust) for good.
    const { proxy, writer: cut, reader: other } = await writerBehindProxy('coh-clock:', { commandTimeoutMs: 40 });
    proxy.setMode('blackhole');
    await sleep(5_000);
    proxy.cut();
    proxy.heal();
    expect(await until(() => cut.getStats().bus.trusted && other.getStats().bus.trusted, 6_000)).toBe(true);
    const key = cut.key('job', 1);
    cut.admitWrite(key);
    await cut.set(key, { v: 1 }, { version: 1 });
    expect(await other.get(key)).toEqual({ v: 1 });
  }, 30_000);
});
