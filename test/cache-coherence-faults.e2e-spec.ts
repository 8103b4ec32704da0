import { afterEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { CacheWriteRefusedError } from '../libs/redis-cache/src/engine/cache.errors.js';
import { CacheEngine } from '../libs/redis-cache/src/engine/cache-engine.js';
import type { CacheEngineOptions } from '../libs/redis-cache/src/engine/cache.types.js';
import { freePort, TestRedisServer } from './support/redis-server.js';
import { TcpProxy } from './support/tcp-proxy.js';
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
