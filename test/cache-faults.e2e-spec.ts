import { afterEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { CacheEngine } from '../libs/redis-cache/src/engine/cache-engine.js';
import type { CacheLogger } from '../libs/redis-cache/src/engine/cache.types.js';
import { freePort, TestRedisServer } from './support/redis-server.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { slack } from './support/machine-load.js';

/**
 * Real faults against test-owned redis-server processes and our TCP proxy. Each case asserts a figure:
 * settle time per operation, loader runs, stale reads.
 *
 * Two bounds: a read settles within the command timeout whatever Redis does; a strict write Redis did not
 * take waits until its peers have stopped trusting their caches (at most about a lease after this
 * instance's last heartbeat, see `bus/coordinator.ts`) — so within 2 × the lease. An eventual write never
 * waits.
 */
const TIMEOUT = 150;
/** Timer and scheduling slack: 50 ms on an idle machine, stretched by this run's measured load. */
const SLACK = slack(50);
const LEASE_MS = 400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const logs: string[] = [];
const logger: CacheLogger = { log: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) };

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

async function until(predicate: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await sleep(20);
  }
  return predicate();
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function engineFor(url: string, extra: Partial<ConstructorParameters<typeof CacheEngine>[0]> = {}): CacheEngine {
  const engine = new CacheEngine({
    redisUrl: url, keyPrefix: 'fault:', commandTimeoutMs: TIMEOUT, connectTimeoutMs: 300,
    circuitBreaker: { failureThreshold: 3, cooldownMs: 300 }, logger, bus: { leaseMs: LEASE_MS }, ...extra,
  });
  cleanups.push(() => engine.close());
  return engine;
}

/** Runs every public operation once; returns the slowest settle time of reads and of writes. None may throw. */
async function everyOperation(cache: CacheEngine, tag: string): Promise<{ reads: number; writes: number }> {
  const key = cache.key('op', tag);
  const reads: Array<() => Promise<unknown>> = [
    () => cache.get(key), () => cache.exists(key), () => cache.getOrLoad(cache.key('load', tag), async () => ({ loaded: tag })),
    () => cache.ttl(key), () => cache.mget([key]), () => cache.increment(cache.key('n', tag)),
  ];
  const writes: Array<() => Promise<unknown>> = [
    () => cache.set(key, { tag }), () => cache.delete(key), () => cache.invalidateTags(['t']),
    () => cache.set(key, { tag }, { version: 5 }), () => cache.delete(key, { version: 6 }),
  ];
  const slowest = async (ops: Array<() => Promise<unknown>>): Promise<number> => {
    let max = 0;
    for (const op of ops) max = Math.max(max, (await timed(op)).ms);
    return max;
  };
  return { reads: await slowest(reads), writes: await slowest(writes) };
}

/** Reads within the command timeout; writes within the timeout (eventual) or 2 × the lease (strict). */
function expectBounded(slowest: { reads: number; writes: number }, strict: boolean): void {
  expect(slowest.reads).toBeLessThan(TIMEOUT + SLACK);
  expect(slowest.writes).toBeLessThan(strict ? 2 * LEASE_MS : TIMEOUT + SLACK);
}

describe('cache under Redis faults', () => {
  it('Redis killed: every operation settles within the timeout and falls back to memory', async () => {
    const server = await TestRedisServer.start();
    cleanups.push(() => server.stop());
    // Eventual coherence keeps serving L1 through an outage; strict (below) does not.
    const cache = engineFor(server.url, { coherence: 'eventual' });
    const strict = engineFor(server.url, { bus: { leaseMs: 400 } });
    await Promise.all([cache.connect(), strict.connect()]);
    expect(cache.isRedisAvailable()).toBe(true);
    await cache.set(cache.key('kept', 1), 'value');
    await strict.set(strict.key('kept', 2), 'value');
    expect(await until(() => strict.getStats().bus.state === 'live', 2000)).toBe(true);
    expect(await strict.get(strict.key('kept', 2))).toBe('value');
    await server.kill();
    expectBounded(await everyOperation(cache, 'killed'), false);
    expectBounded(await everyOperation(strict, 'killed'), true);
    expect(await cache.get(cache.key('kept', 1))).toBe('value'); // from L1
    // Strict: with the bus and Redis gone this instance cannot know about other instances' updates (nor can
    // they know of its): its L1 is not served any more.
    expect(await strict.get(strict.key('kept', 2))).toBeUndefined();
    expect(strict.getStats().l1Bypassed).toBeGreaterThanOrEqual(1);
    expect(strict.getStats().bus.state).toBe('connecting');
    const loaded = await cache.getOrLoad(cache.key('fresh', 1), async () => 'from-db');
    expect(loaded).toMatchObject({ value: 'from-db', source: 'loader' });
    expect(cache.isRedisAvailable()).toBe(false);
    expect(cache.getStats().redisAvailable).toBe(false);
  });

  it('Redis frozen (SIGSTOP): operations settle within the timeout, the breaker opens, then closes after resume', async () => {
    const server = await TestRedisServer.start();
    cleanups.push(() => server.stop());
    const cache = engineFor(server.url);
    await cache.connect();
    server.pause();
    cleanups.push(() => server.resume());
    const settle: number[] = [];
    for (let i = 0; i < 5; i += 1) settle.push((await timed(() => cache.get(cache.key('frozen', i)))).ms);
    expect(Math.max(...settle)).toBeLessThan(TIMEOUT + SLACK);
    expect(cache.circuitState).toBe('open');
    // The first timeout drops the connection (its reply stream can no longer be trusted); the calls after it
    // fail at once while the reconnect hangs on the frozen server, until the breaker opens.
    expect(cache.getStats().timeouts).toBeGreaterThanOrEqual(1);
    expect(cache.getStats().errors).toBeGreaterThanOrEqual(3);
    // While open, Redis is not even tried: near-zero latency.
    const skipped = await timed(() => cache.getOrLoad(cache.key('frozen', 'x'), async () => 1));
    expect(skipped.ms).toBeLessThan(slack(20));
    expectBounded(await everyOperation(cache, 'frozen'), true);
    server.resume();
    const recovered = await until(async () => {
      await cache.get(cache.key('probe', 1));
      return cache.circuitState === 'closed' && cache.isRedisAvailable();
    }, 3000);
    expect(recovered).toBe(true);
    expect(await cache.set(cache.key('after', 1), 'ok')).toBe(true);
  });

  it('slow Redis (proxy delay 400 ms): every operation still settles within the timeout', async () => {
    const server = await TestRedisServer.start();
    const proxy = await TcpProxy.start(server.port);
    cleanups.push(() => server.stop(), () => proxy.stop());
    const cache = engineFor(proxy.url);
    await cache.connect();
    proxy.delayMs = 400;
    expectBounded(await everyOperation(cache, 'slow'), true);
  });

  it('unreachable at start: connect() resolves in bounded time, L1 serves, Redis is picked up when it appears', async () => {
    const port = await freePort();
    const cache = engineFor(`redis://127.0.0.1:${port}`, { coherence: 'eventual' });
    const connect = await timed(() => cache.connect());
    expect(connect.ms).toBeLessThan(300 + slack(200));
    expect(cache.isRedisAvailable()).toBe(false);
    await cache.set(cache.key('early', 1), 'memory');
    expect(await cache.get(cache.key('early', 1))).toBe('memory');
    expectBounded(await everyOperation(cache, 'absent'), false);
    const server = await TestRedisServer.start({ port });
    cleanups.push(() => server.stop());
    expect(await until(() => cache.isRedisAvailable(), 4000)).toBe(true);
    expect(await cache.set(cache.key('late', 1), 'redis')).toBe(true);
    const raw = new Redis(server.url);
    cleanups.push(() => { raw.disconnect(); });
    expect(await raw.get('fault:late:1')).toContain('"redis"');
  });

  it('a write that timed out never lands later (no resend after reconnect)', async () => {
    const server = await TestRedisServer.start();
    const proxy = await TcpProxy.start(server.port);
    cleanups.push(() => server.stop(), () => proxy.stop());
    const cache = engineFor(proxy.url, { l1: { enabled: false } });
    await cache.connect();
    proxy.setMode('blackhole');
    const write = await timed(() => cache.set(cache.key('late-write', 1), 'must-not-land'));
    expect(write.ms).toBeLessThan(2 * LEASE_MS);
    proxy.cut();
    proxy.heal();
    expect(await until(() => cache.isRedisAvailable(), 4000)).toBe(true);
    await sleep(200);
    const raw = new Redis(server.url);
    cleanups.push(() => { raw.disconnect(); });
    expect(await raw.exists('fault:late-write:1')).toBe(0);
  });

  it('dirty-key repair: after a cut, Redis still holding the old version never serves it', async () => {
    const server = await TestRedisServer.start();
    const proxy = await TcpProxy.start(server.port);
    cleanups.push(() => server.stop(), () => proxy.stop());
    const cache = engineFor(proxy.url, { coherence: 'eventual' });
    await cache.connect();
    const key = cache.key('job', 7);
    await cache.set(key, { version: 1 }, { version: 1 });
    proxy.cut(true); // partition: the server keeps version 1
    expect(await until(() => !cache.isRedisAvailable(), 1000)).toBe(true);
    await cache.set(key, { version: 2 }, { version: 2 }); // lands in L1 only, key remembered as dirty
    expect(await cache.get(key)).toEqual({ version: 2 });
    proxy.heal();
    let staleReads = 0;
    let reads = 0;
    const deadline = Date.now() + 2500;
    while (Date.now() < deadline) {
      const seen = await cache.getOrLoad<{ version: number }>(key, async () => ({ version: 2 }), { version: (v) => v.version });
      reads += 1;
      if (seen.value?.version !== 2) staleReads += 1;
      await sleep(10);
    }
    expect(reads).toBeGreaterThan(50);
    expect(staleReads).toBe(0);
    expect(cache.isRedisAvailable()).toBe(true);
    const raw = new Redis(server.url);
    cleanups.push(() => { raw.disconnect(); });
    // Repaired: the old version was removed (or replaced); Redis never holds version 1 for this epoch again.
    expect((await raw.get('fault:job:7')) ?? 'removed').not.toMatch(/^c2\|V\|1\|/);
  });

  it('restarted empty during a stampede: one loader run per key per process', async () => {
    const server = await TestRedisServer.start();
    cleanups.push(() => server.stop());
    const cache = engineFor(server.url);
    await cache.connect();
    let runs = 0;
    const load = async () => { runs += 1; await sleep(100); return 'v'; };
    const stampede = Array.from({ length: 50 }, () => cache.getOrLoad(cache.key('stampede', 1), load));
    const restart = server.restart();
    const results = await Promise.all(stampede);
    await restart;
    expect(runs).toBe(1);
    expect(results.every((r) => r.value === 'v')).toBe(true);
  });

  it('fail-safe under strict coherence: with Redis gone the L1 copy is not trusted, so a failing loader fails, never served stale', async () => {
    const server = await TestRedisServer.start();
    cleanups.push(() => server.stop());
    const cache = engineFor(server.url, { graceSeconds: 10 });
    await cache.connect();
    const key = cache.key('grace', 1);
    await cache.getOrLoad(key, async () => 'v1', { ttl: 1 });
    await server.kill();
    await sleep(1100);
    // Another instance may have acknowledged a newer version meanwhile (its writes wait out this one's lease).
    await expect(cache.getOrLoad(key, async (): Promise<string> => { throw new Error('db down'); }, { ttl: 1 })).rejects.toThrow('db down');
    expect(cache.getStats().staleServed).toBe(0);
  });

  it('fail-safe under eventual coherence: with Redis gone and the loader failing, a value within grace is served as stale', async () => {
    const server = await TestRedisServer.start();
    cleanups.push(() => server.stop());
    const cache = engineFor(server.url, { graceSeconds: 10, coherence: 'eventual' });
    await cache.connect();
    const key = cache.key('grace', 1);
    await cache.getOrLoad(key, async () => 'v1', { ttl: 1 });
    await server.kill();
    await sleep(1100);
    const failing = async (): Promise<string> => { throw new Error('db down'); };
    const served = await timed(() => cache.getOrLoad(key, failing, { ttl: 1 }));
    expect(served.value).toMatchObject({ value: 'v1', source: 'stale' });
    expect(served.ms).toBeLessThan(TIMEOUT + SLACK);
    expect(cache.getStats().staleServed).toBe(1);
    expect(await cache.get(key)).toBeUndefined(); // a plain read never returns an expired value
    await expect(cache.getOrLoad(cache.key('grace', 'none'), failing)).rejects.toThrow('db down');
  });

  it('never logs a credential', async () => {
    const server = await TestRedisServer.start({ args: ['--requirepass', 's3cr3t-pa55'] });
    cleanups.push(() => server.stop());
    logs.length = 0;
    const good = engineFor(`redis://:s3cr3t-pa55@127.0.0.1:${server.port}/2`);
    await good.connect();
    expect(good.isRedisAvailable()).toBe(true);
    const bad = engineFor(`redis://default:wr0ng-pa55@127.0.0.1:${server.port}`);
    await bad.connect();
    await bad.get(bad.key('x', 1));
    const none = engineFor(`redis://127.0.0.1:${server.port}`);
    await none.connect();
    await server.kill();
    await good.get(good.key('x', 1));
    await sleep(50);
    expect(logs.length).toBeGreaterThan(0);
    // An operator is told what is wrong, not "Connection is closed".
    expect(logs.join('\n')).toMatch(/refused the credentials in the Redis URL \(WRONGPASS/);
    expect(logs.join('\n')).toMatch(/requires a password and the Redis URL has none \(NOAUTH\)/);
    expect(logs.join('\n')).not.toMatch(/s3cr3t|wr0ng/);
    expect(JSON.stringify(good.getStats())).not.toMatch(/s3cr3t/);
  });
});
