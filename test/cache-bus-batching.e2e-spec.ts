import { afterEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { CacheEngine } from '../libs/redis-cache/src/engine/cache-engine.js';
import { until } from './support/wait.js';

/**
 * Announcement batching: invalidations issued in the same tick leave as one bus message with one ack wait.
 * Two engines (two instances) on the shared Redis, strict coherence (the default).
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONCURRENCY = 50;
const DURATION_MS = 2_000;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function pair(): Promise<[CacheEngine, CacheEngine]> {
  const prefix = `test:bus-batch:${randomUUID()}:`;
  const make = () => {
    const engine = new CacheEngine({ redisUrl: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 500, connectTimeoutMs: 1000, bus: { leaseMs: 1500 } });
    cleanups.push(() => engine.close());
    return engine;
  };
  const a = make();
  const b = make();
  cleanups.push(() => a.clear().then(() => undefined));
  await Promise.all([a.connect(), b.connect()]);
  const ready = await until(() => [a, b].every((e) => e.getStats().bus.state === 'live' && e.getStats().bus.peers === 1), 3000);
  expect(ready).toBe(true);
  return [a, b];
}

describe('invalidation bus batching', () => {
  it(`${CONCURRENCY} concurrent sets share bus messages and ack waits; every one is still confirmed`, async () => {
    const [a, b] = await pair();
    const keys = Array.from({ length: CONCURRENCY }, (_, i) => a.key('item', i));
    let ops = 0;
    let round = 0;
    const started = performance.now();
    while (performance.now() - started < DURATION_MS) {
      round += 1;
      const results = await Promise.all(keys.map((key) => a.set(key, { round }, { version: round })));
      expect(results.every(Boolean)).toBe(true);
      ops += keys.length;
    }
    const seconds = (performance.now() - started) / 1000;
    const published = a.getStats().busPublished;
    console.log(`bus batching: ${CONCURRENCY} concurrent strict sets, 2 instances: ${(ops / seconds).toFixed(0)} ops/s; ${ops} sets in ${published} bus messages; ack timeouts ${a.getStats().busAckTimeouts}`);
    expect(a.getStats().busAckTimeouts).toBe(0);
    // Each round's 50 announcements leave in a handful of messages, not 50.
    expect(published).toBeLessThanOrEqual(round * 5);
    // And B dropped every key: primed L1 entries would show the old round otherwise.
    for (const key of keys) expect(await b.get(key)).toEqual({ round });
    for (const key of keys) expect((await b.getEntry(key))?.source).toBe('l1');
    await Promise.all(keys.map((key) => a.set(key, { round: round + 1 }, { version: round + 1 })));
    for (const key of keys) expect(await b.get(key)).toEqual({ round: round + 1 });
  });

  it('a key write and a tag invalidation in the same tick are one announcement, both applied on the peer', async () => {
    const [a, b] = await pair();
    const job = a.key('job', 1);
    const list = a.key('list', 'acme');
    await a.set(job, { v: 1 }, { version: 1 });
    await a.set(list, ['v1'], { tags: ['owner:acme'] });
    expect(await b.get(job)).toEqual({ v: 1 });
    expect(await b.get(list)).toEqual(['v1']);
    expect(b.getStats().l1.entries).toBe(2);
    const before = a.getStats().busPublished;
    await Promise.all([a.set(job, { v: 2 }, { version: 2 }), a.invalidateTags(['owner:acme'])]);
    expect(a.getStats().busPublished - before).toBe(1);
    expect(await b.get(job)).toEqual({ v: 2 });
    expect(await b.get(list)).toBeUndefined();
  });
});
