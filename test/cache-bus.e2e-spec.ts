import { afterEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { CacheEngine } from '../libs/redis-cache/src/engine/cache-engine.js';
import type { CacheEngineOptions } from '../libs/redis-cache/src/engine/cache.types.js';
import { TestRedisServer } from './support/redis-server.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { live } from './support/bus-engines.js';
import { percentile, sleep, until } from './support/wait.js';
import { slack } from './support/machine-load.js';
import { type AfterAck, AfterAckTally, cleanRound, readAfterAck, StallWatch } from './support/read-after-ack.js';

/**
 * Cross-instance coherence over the invalidation bus: several engines (as separate instances would be) on
 * one Redis. Strict policy: once a write resolved on one instance, no instance returns the older version.
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const LEASE_MS = 300;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function instance(url: string, prefix: string, extra: Partial<CacheEngineOptions> = {}): CacheEngine {
  const engine = new CacheEngine({
    redisUrl: url, keyPrefix: prefix, commandTimeoutMs: 200, connectTimeoutMs: 500,
    bus: { leaseMs: LEASE_MS, ...extra.bus }, ...extra,
  });
  cleanups.push(() => engine.close());
  return engine;
}

describe('invalidation bus (strict coherence)', () => {
  it('three instances: a write acknowledged by one is never read older by another (L1 primed each round)', async () => {
    const prefix = `test:bus:${randomUUID()}:`;
    const nodes = [instance(REDIS_URL, prefix), instance(REDIS_URL, prefix), instance(REDIS_URL, prefix)];
    cleanups.push(() => nodes[0].clear().then(() => undefined));
    await live(...nodes);
    const keys = [1, 2, 3, 4].map((i) => nodes[0].key('job', i));
    for (const key of keys) await nodes[0].set(key, { version: 0 }, { version: 0 });
    const tally = new AfterAckTally();
    // A round is clean when every read was current and this process was not stalled for a third of a lease in
    // the two leases before it (on the shared machine a starved test process lapses all three leases at once):
    // timing and ack-timeout figures are taken from clean rounds only; an older or lost value fails in any round.
    const stalls = new StallWatch(LEASE_MS / 3);
    cleanups.push(() => stalls.stop());
    const writeMs: number[] = [];
    let clean = 0;
    let timeoutsInClean = 0;
    let round = 0;
    const giveUpAt = performance.now() + 20_000;
    while (clean < 150 && performance.now() < giveUpAt) {
      round += 1;
      const timeoutsBefore = nodes.reduce((sum, n) => sum + n.getStats().busAckTimeouts, 0);
      const key = keys[round % keys.length];
      const primedAt = performance.now();
      // Prime every L1 with the current version so that a missed invalidation would show.
      for (const node of nodes) await node.get(key);
      const writer = nodes[round % nodes.length];
      const started = performance.now();
      expect(await writer.set(key, { version: round }, { version: round })).toBe(true);
      const ms = performance.now() - started;
      const current = round;
      const outcomes: AfterAck[] = [];
      for (const node of nodes) outcomes.push(await readAfterAck(node, () => node.get<{ version: number }>(key), (v) => v.version === current));
      for (const outcome of outcomes) tally.add(outcome);
      if (cleanRound(stalls, primedAt, outcomes, 2 * LEASE_MS)) {
        clean += 1;
        writeMs.push(ms);
        timeoutsInClean += nodes.reduce((sum, n) => sum + n.getStats().busAckTimeouts, 0) - timeoutsBefore;
      }
    }
    const l1Hits = nodes.reduce((sum, n) => sum + n.getStats().l1Hits, 0);
    const received = nodes.reduce((sum, n) => sum + n.getStats().busReceived, 0);
    console.log(`bus: ${round} rounds (${clean} clean); reads after ack: ${tally.toString()}; write+ack p50 ${percentile(writeMs, 50).toFixed(2)} ms, p99 ${percentile(writeMs, 99).toFixed(2)} ms; l1Hits ${l1Hits}; messages received ${received}`);
    expect(tally.broken).toBe(0);
    expect(clean).toBe(150);
    expect(received).toBeGreaterThanOrEqual(150 * 2);
    expect(l1Hits).toBeGreaterThan(150); // L1 really was serving between writes
    expect(timeoutsInClean).toBe(0);
    expect(percentile(writeMs, 50)).toBeLessThan(LEASE_MS / 2); // acks, not the lease, end the wait
  });

  it('tags, prefixes and clear reach every instance before the call resolves', async () => {
    const prefix = `test:bus:${randomUUID()}:`;
    const [a, b] = [instance(REDIS_URL, prefix), instance(REDIS_URL, prefix)];
    cleanups.push(() => a.clear().then(() => undefined));
    await live(a, b);
    await a.set(a.key('list', 1), 'L', { tags: ['client:1'] });
    await a.set(a.key('ns', 'x'), 'X');
    await a.set(a.key('other', 1), 'O');
    expect(await b.get(b.key('list', 1))).toBe('L');
    expect(await b.get(b.key('ns', 'x'))).toBe('X');
    expect(await b.get(b.key('other', 1))).toBe('O');
    expect(b.getStats().l1.entries).toBe(3);
    await a.invalidateTags(['client:1']);
    expect(await b.get(b.key('list', 1))).toBeUndefined();
    await a.deleteByPrefix('ns:');
    expect(await b.get(b.key('ns', 'x'))).toBeUndefined();
    await a.clear();
    expect(b.getStats().l1.entries).toBe(0);
    expect(await b.get(b.key('other', 1))).toBeUndefined();
  });

  it('an instance cut off from the bus stops serving L1 within the lease; the writer waits for it; it resubscribes and drops L1', async () => {
    const server = await TestRedisServer.start();
    const busProxy = await TcpProxy.start(server.port);
    cleanups.push(() => server.stop(), () => busProxy.stop());
    const prefix = 'bus-cut:';
    const writer = instance(server.url, prefix);
    // The victim's data connection goes straight to Redis, its subscriber through the proxy.
    const victim = instance(server.url, prefix, { bus: { leaseMs: LEASE_MS, redisUrl: busProxy.url } });
    await live(writer, victim);
    const key = writer.key('job', 1);
    await writer.set(key, { version: 1 }, { version: 1 });
    expect(await victim.get(key)).toEqual({ version: 1 });
    expect((await victim.getEntry(key))?.source).toBe('l1');

    busProxy.setMode('blackhole'); // the subscriber socket stays open but hears nothing
    const started = performance.now();
    expect(await writer.set(key, { version: 2 }, { version: 2 })).toBe(true);
    const waited = performance.now() - started;
    // Redis still counts the victim as a receiver and it never acks: the writer waits until the victim has
    // stopped serving L1 — its lease lapsed, which its next heartbeat (on the data connection) says — at most
    // a lease and a heartbeat…
    expect(waited).toBeLessThan(LEASE_MS + slack(200));
    // …by which time the victim no longer trusts its L1: it reads the new version from L2.
    expect(victim.getStats().bus.state).toBe('lapsed');
    expect(await victim.getEntry(key)).toMatchObject({ value: { version: 2 }, source: 'l2' });
    expect(victim.getStats().l1Bypassed).toBeGreaterThanOrEqual(1);

    const drops = victim.getStats().busResubscribes;
    busProxy.cut();
    busProxy.heal();
    expect(await until(() => victim.getStats().bus.state === 'live', 3000)).toBe(true);
    expect(victim.getStats().busResubscribes).toBeGreaterThan(drops);
    expect(victim.getStats().l1.entries).toBe(0); // dropped on resubscribe
    expect(await victim.get(key)).toEqual({ version: 2 });
    expect((await victim.getEntry(key))?.source).toBe('l1'); // and L1 serves again
  });

  it('a subscriber that silently stops reading is waited for until its lease is gone (its heartbeats then say so)', async () => {
    const prefix = `test:bus:${randomUUID()}:`;
    const writer = instance(REDIS_URL, prefix);
    const victim = instance(REDIS_URL, prefix);
    cleanups.push(() => writer.clear().then(() => undefined));
    await live(writer, victim);
    const key = writer.key('job', 9);
    await writer.set(key, { version: 1 }, { version: 1 });
    expect(await victim.get(key)).toEqual({ version: 1 });
    // Stop delivering to the victim without closing its socket: pause its subscriber's reads.
    const sub = (victim as unknown as { coherence: { bus: { sub: { stream?: { pause(): void; resume(): void } } } } }).coherence.bus.sub;
    sub.stream?.pause();
    const started = performance.now();
    await writer.set(key, { version: 2 }, { version: 2 });
    const waited = performance.now() - started;
    // The writer waited for the victim (a known live member) until the victim's lease had run out — which its
    // next heartbeat (on the data connection, still working) said — and not longer.
    expect(victim.getStats().bus.state).toBe('lapsed');
    expect(waited).toBeLessThan(LEASE_MS + 200);
    expect(await victim.get(key)).toEqual({ version: 2 });
    sub.stream?.resume();
    await sleep(50);
    expect(await victim.get(key)).toEqual({ version: 2 });
  });

  it('eventual namespaces keep serving L1 without the bus, and writes to them do not wait', async () => {
    const server = await TestRedisServer.start();
    const busProxy = await TcpProxy.start(server.port);
    cleanups.push(() => server.stop(), () => busProxy.stop());
    const opts = { coherenceByNamespace: { stats: 'eventual' as const } };
    const writer = instance(server.url, 'bus-ev:', opts);
    const reader = instance(server.url, 'bus-ev:', { ...opts, bus: { leaseMs: LEASE_MS, redisUrl: busProxy.url } });
    await live(writer, reader);
    await writer.set(writer.key('stats', 1), 1);
    await writer.set(writer.key('job', 1), 1);
    expect(await reader.get(reader.key('stats', 1))).toBe(1);
    expect(await reader.get(reader.key('job', 1))).toBe(1);
    busProxy.setMode('blackhole');
    await sleep(LEASE_MS + 50);
    expect((await reader.getEntry(reader.key('stats', 1)))?.source).toBe('l1');
    expect((await reader.getEntry(reader.key('job', 1)))?.source).toBe('l2');
    const started = performance.now();
    await writer.set(writer.key('stats', 1), 2);
    expect(performance.now() - started).toBeLessThan(LEASE_MS / 2);
  });
});
