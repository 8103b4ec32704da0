import { afterAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { buildKey, CacheEngine, encodeKeyPart } from 'nestjs-tiered-cache/engine';
import { ChaosReport, variant } from '../support/chaos-report.js';
import { TestRedisServer } from '../support/redis-server.js';

/**
 * Item 11 of issue 6, on the library itself: hostile key parts (property-based, ≥ 10 000 cases) cannot
 * collide or widen a prefix invalidation, checked for real with SCAN on a sample. (Item 15 has its own file,
 * `l1-churn.e2e-spec.ts`: its heap and event-loop figures must not carry this test's garbage.)
 */
const report = new ChaosReport('cache-engine-abuse');
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  report.flush();
});

/** Strings built from what attacks keys and glob patterns: metacharacters, escapes, separators, unicode. */
const hostilePart = fc.oneof(
  fc.string({ unit: fc.constantFrom('*', '?', '[', ']', '\\', ':', '\n', '%', '2', 'A', 'a', '^', '-', '!', ' ', '/', '\u0000', 'é', '😀', '\u202e'), maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 16 }),
  fc.constantFrom('%2A', '%3A', '*', '', ':', '\\*', '[a-z]', 'acme', 'acme:*', 'acme*', '__proto__', 'constructor'),
  fc.string({ minLength: 1000, maxLength: 1100 }),
);


describe('chaos: cache engine abuse', () => {
  it('11 · key and pattern injection (property-based): injective keys, no metacharacters, invalidation stays in its client', async () => {
    const runs = variant(10_000, 50_000);
    let cases = 0;
    // Pure: distinct part lists never map to one key, and no encoded part carries a glob metacharacter.
    fc.assert(
      fc.property(fc.array(hostilePart, { minLength: 1, maxLength: 3 }), fc.array(hostilePart, { minLength: 1, maxLength: 3 }), (a, b) => {
        cases += 1;
        for (const part of [...a, ...b]) expect(encodeKeyPart(part)).toMatch(/^[A-Za-z0-9_.%-]+$/);
        if (a.length !== b.length || a.some((p, i) => p !== b[i])) expect(buildKey('ns', ...a)).not.toBe(buildKey('ns', ...b));
      }),
      { numRuns: runs },
    );

    // Real: for a sample of hostile client ids, deleting one client's prefix in Redis leaves every other key.
    const redis = await TestRedisServer.start();
    cleanups.push(() => redis.stop());
    const cache = new CacheEngine({ redisUrl: redis.url, keyPrefix: 'inj:', commandTimeoutMs: 1_000 });
    cleanups.push(() => cache.close());
    await cache.connect();
    const raw = new Redis(redis.url, { commandTimeout: 2_000 });
    cleanups.push(() => { raw.disconnect(); });
    const sample = fc.sample(fc.uniqueArray(hostilePart.filter((s) => s.length < 200), { minLength: 8, maxLength: 8 }), variant(25, 100));
    let wrongDeletes = 0;
    let survivors = 0;
    for (const clients of sample) {
      for (const client of clients) await cache.set(cache.key('list', client, 'page', 1), { client }, 60);
      const victim = clients[0];
      await cache.deleteByPrefix(`${cache.key('list', victim)}:`);
      for (const client of clients) {
        const present = (await raw.exists(`inj:${cache.key('list', client, 'page', 1)}`)) === 1;
        if (client === victim && present) survivors += 1;
        if (client !== victim && !present) wrongDeletes += 1;
      }
      await cache.deleteByPrefix('list:');
    }

    report.record({
      item: '11', test: 'key and pattern injection (fast-check)', fault: `${cases} generated pairs of hostile key parts (* ? [ ] \\ : \\n %2A, 1 KB, unicode); ${sample.length}×8 real SCAN invalidations`,
      asserted: '0 key collisions; 0 metacharacters in encoded parts; invalidating one client deletes 0 keys of another and all of its own',
      measured: `${cases} cases, 0 collisions (fast-check would have shrunk one); ${wrongDeletes} foreign keys deleted; ${survivors} own keys left`,
      holds: cases >= runs && wrongDeletes === 0 && survivors === 0,
    });
    expect(cases).toBeGreaterThanOrEqual(runs);
    expect(wrongDeletes).toBe(0);
    expect(survivors).toBe(0);
  }, 120_000);
});
