import { afterEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { CacheEngine } from '../libs/redis-cache/src/engine/cache-engine.js';
import type { CacheEngineOptions, EntryChange } from '../libs/redis-cache/src/engine/cache.types.js';
import { slack } from './support/machine-load.js';
import { TestRedisServer } from './support/redis-server.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { live } from './support/bus-engines.js';
import { percentile, sleep, until } from './support/wait.js';

/**
 * The change feed (`CacheEngine.watch`): an entry's versions pushed to a watcher on another instance as they
 * are acknowledged, in order and once, and never older than a read — with the bus up, and with the watcher's
 * instance cut off from Redis (then it reads on its fallback timer).
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const LEASE_MS = 300;
const FALLBACK_MS = 200;

interface Job {
  id: number;
  version: number;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function instance(url: string, prefix: string, extra: Partial<CacheEngineOptions> = {}): CacheEngine {
  const engine = new CacheEngine({ redisUrl: url, keyPrefix: prefix, commandTimeoutMs: 150, connectTimeoutMs: 500, bus: { leaseMs: LEASE_MS }, ...extra });
  cleanups.push(() => engine.close());
  return engine;
}

/** A source of truth (the database), and the writer: the row first, then the cache write, as a repository does. */
class Rows {
  readonly rows = new Map<number, Job>();
  constructor(private readonly writer: CacheEngine) {}

  async update(id: number, version: number): Promise<void> {
    this.rows.set(id, { id, version });
    expect(await this.writer.set(this.writer.key('job', id), { id, version }, { version, ttlSeconds: 60 })).toBe(true);
  }

  /** Reads through `engine` the way a poll does (cache, else the row). */
  reader(engine: CacheEngine, id: number) {
    return async () => {
      const result = await engine.getOrLoad<Job>(engine.key('job', id), async () => this.rows.get(id), { ttl: 60, version: (job) => job.version });
      return result.value === undefined ? undefined : { value: result.value, version: result.version, storedAt: result.storedAt };
    };
  }
}

/** `from`, `from + 1`, …, `to`. */
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_v, i) => from + i);

/** Collects what a watch reports, with when. */
class Feed {
  readonly changes: Array<EntryChange<Job> & { at: number }> = [];
  readonly errors: unknown[] = [];
  readonly onChange = (change: EntryChange<Job>) => this.changes.push({ ...change, at: performance.now() });
  readonly onError = (error: unknown) => this.errors.push(error);

  get versions(): number[] {
    return this.changes.flatMap((c) => (c.op === 'set' ? [c.version!] : []));
  }

  /** Updates row `id` to each of `versions` through `rows`, waiting after each for it here; how long each took. */
  async follow(rows: Rows, id: number, versions: number[], timeoutMs: number): Promise<number[]> {
    const waits: number[] = [];
    for (const version of versions) {
      await rows.update(id, version);
      const waited = await this.reached(version, timeoutMs);
      expect(waited).toBeDefined();
      waits.push(waited!);
    }
    return waits;
  }

  /**
   * Waits until a version ≥ `version` was reported; how long after the call it was reported (0 if before),
   * or undefined past `timeoutMs`.
   */
  async reached(version: number, timeoutMs: number): Promise<number | undefined> {
    const started = performance.now();
    const reported = () => this.changes.find((c) => c.op === 'set' && c.version! >= version);
    if (!(await until(() => reported() !== undefined, timeoutMs))) return undefined;
    return Math.max(0, reported()!.at - started);
  }
}

describe('change feed (CacheEngine.watch)', () => {
  it('pushes every acknowledged version from another instance, in order, once', async () => {
    const prefix = `test:feed:${randomUUID()}:`;
    const [writer, watcher] = [instance(REDIS_URL, prefix), instance(REDIS_URL, prefix)];
    cleanups.push(() => writer.clear().then(() => undefined));
    await live(writer, watcher);
    const rows = new Rows(writer);
    await rows.update(1, 0);
    const feed = new Feed();
    const stop = watcher.watch(watcher.key('job', 1), rows.reader(watcher, 1), feed.onChange, feed.onError, { fallbackMs: 60_000 });
    cleanups.push(stop);
    expect(await feed.reached(0, 2000)).toBeDefined();

    const waits = await feed.follow(rows, 1, range(1, 40), 2000);
    // With hints (the fallback timer is a minute here), every version arrives, in order, once.
    expect(feed.versions).toEqual(range(0, 40));
    expect(feed.errors).toEqual([]);
    // Pushed, not polled: each version is reported within a few round trips of its acknowledgement.
    expect(Math.max(...waits)).toBeLessThan(slack(250));
    process.stdout.write(`change feed, bus up: ${waits.length} versions, ack → reported p50 ${percentile(waits, 50).toFixed(1)} ms, max ${Math.max(...waits).toFixed(1)} ms\n`);

    // Deleted: reported once, then nothing more.
    rows.rows.delete(1);
    await writer.delete(writer.key('job', 1), { version: 41 });
    expect(await until(() => feed.changes.at(-1)?.op === 'delete', 2000)).toBe(true);
    await writer.delete(writer.key('job', 1), { version: 42 });
    await sleep(100);
    expect(feed.changes.filter((c) => c.op === 'delete')).toHaveLength(1);
  });

  it('resumes after a version: older and equal ones are not reported again', async () => {
    const prefix = `test:feed:${randomUUID()}:`;
    const engine = instance(REDIS_URL, prefix);
    cleanups.push(() => engine.clear().then(() => undefined));
    await live(engine);
    const rows = new Rows(engine);
    await rows.update(7, 5);
    const feed = new Feed();
    cleanups.push(engine.watch(engine.key('job', 7), rows.reader(engine, 7), feed.onChange, feed.onError, { after: 5 }));
    await sleep(100);
    expect(feed.changes).toEqual([]);
    await rows.update(7, 6);
    expect(await feed.reached(6, 2000)).toBeDefined();
    expect(feed.versions).toEqual([6]);
  });

  it('a tag invalidation reads only the watched entries that carry tags', async () => {
    const prefix = `test:feed:${randomUUID()}:`;
    const [writer, watcher] = [instance(REDIS_URL, prefix), instance(REDIS_URL, prefix)];
    cleanups.push(() => writer.clear().then(() => undefined));
    await live(writer, watcher);
    const reads = { plain: 0, tagged: 0 };
    const reader = (name: 'plain' | 'tagged', tags: string[]) => async () => {
      reads[name] += 1;
      const result = await watcher.getOrLoad(watcher.key(name, 1), async () => ({ id: 1, version: 1 }), { ttl: 60, version: () => 1, tags });
      return { value: result.value!, version: result.version, storedAt: result.storedAt };
    };
    const feeds = { plain: new Feed(), tagged: new Feed() };
    cleanups.push(watcher.watch(watcher.key('plain', 1), reader('plain', []), feeds.plain.onChange, feeds.plain.onError, { fallbackMs: 60_000 }));
    cleanups.push(watcher.watch(watcher.key('tagged', 1), reader('tagged', ['owner:acme']), feeds.tagged.onChange, feeds.tagged.onError, { fallbackMs: 60_000 }));
    expect(await until(() => feeds.plain.versions.length === 1 && feeds.tagged.versions.length === 1, 2000)).toBe(true);
    const before = { ...reads };
    for (let i = 1; i <= 5; i += 1) {
      await writer.invalidateTags(['owner:acme']);
      expect(await until(() => reads.tagged - before.tagged >= i, 2000)).toBe(true);
    }
    await sleep(50);
    expect(reads.plain).toBe(before.plain);
  });

  it('ends with the error when a read fails, and stops reading', async () => {
    const engine = new CacheEngine({ keyPrefix: `test:feed:${randomUUID()}:` });
    cleanups.push(() => engine.close());
    const feed = new Feed();
    let reads = 0;
    engine.watch(engine.key('job', 1), async () => {
      reads += 1;
      throw new Error('database down');
    }, feed.onChange, feed.onError, { fallbackMs: 50 });
    expect(await until(() => feed.errors.length > 0, 1000)).toBe(true);
    await engine.set(engine.key('job', 1), { id: 1, version: 1 }, { version: 1 });
    await sleep(150);
    expect(feed.errors).toEqual([new Error('database down')]);
    expect(reads).toBe(1);
  });

  it('without Redis (one instance), pushes its own writes', async () => {
    const engine = new CacheEngine({ keyPrefix: `test:feed:${randomUUID()}:` });
    cleanups.push(() => engine.close());
    const rows = new Rows(engine);
    await rows.update(3, 1);
    const feed = new Feed();
    cleanups.push(engine.watch(engine.key('job', 3), rows.reader(engine, 3), feed.onChange, feed.onError, { fallbackMs: 60_000 }));
    expect(await feed.reached(1, 1000)).toBeDefined();
    await feed.follow(rows, 3, range(2, 5), 1000);
    expect(feed.versions).toEqual([1, 2, 3, 4, 5]);
  });

  it.each(['blackhole', 'reset'] as const)('watcher cut off from Redis (%s): every acknowledged version still arrives, in order, within the fallback bound', async (mode) => {
    const server = await TestRedisServer.start();
    const proxy = await TcpProxy.start(server.port);
    cleanups.push(() => server.stop(), () => proxy.stop());
    const prefix = `test:feed:${randomUUID()}:`;
    const writer = instance(server.url, prefix);
    const watcher = instance(proxy.url, prefix);
    await live(writer, watcher);
    const rows = new Rows(writer);
    await rows.update(1, 0);
    const feed = new Feed();
    cleanups.push(watcher.watch(watcher.key('job', 1), rows.reader(watcher, 1), feed.onChange, feed.onError, { fallbackMs: FALLBACK_MS }));
    expect(await feed.reached(0, 2000)).toBeDefined();

    if (mode === 'blackhole') proxy.setMode('blackhole');
    else proxy.cut(true);
    // An acknowledged version reaches the watcher at most: the lease it still held (the writer waited for it or
    // for that lease), then one fallback tick, then one read (the cache, unreachable, times out into the loader).
    const boundMs = LEASE_MS + FALLBACK_MS + 150 + slack(300);
    const waits = await feed.follow(rows, 1, range(1, 8), 5000);
    expect(Math.max(...waits)).toBeLessThanOrEqual(boundMs);
    expect(watcher.getStats().bus.state).not.toBe('live');
    process.stdout.write(`change feed, watcher cut off (${mode}): ack → reported p50 ${percentile(waits, 50).toFixed(0)} ms, max ${Math.max(...waits).toFixed(0)} ms (bound ${boundMs} ms)\n`);

    proxy.heal();
    expect(await until(() => watcher.getStats().bus.state === 'live', 10_000)).toBe(true);
    await feed.follow(rows, 1, range(9, 12), 2000);
    // In order and once, whatever the transport of each step was.
    const versions = feed.versions;
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    expect(versions.at(-1)).toBe(12);
    expect(feed.errors).toEqual([]);
  });
});
