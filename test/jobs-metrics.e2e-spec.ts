import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CacheService } from 'nestjs-tiered-cache';
import { type AppHarness, bearer, startApp, TOKENS } from './support/app-harness.js';

/** Issue 4: `/metrics` and the richer `/api/v2/cache/stats` on the real app (PostgreSQL + shared Redis). */
describe('jobs API metrics and cache statistics', () => {
  let h: AppHarness;

  beforeAll(async () => {
    h = await startApp();
  });
  afterAll(async () => {
    await h.close();
  });

  const metricValue = (text: string, line: RegExp): number => {
    const found = text.split('\n').find((l) => line.test(l));
    return found === undefined ? 0 : Number(found.split(' ').pop());
  };

  it('serves value-free Prometheus metrics without a token: reads by tier and key group, Redis latency, circuit', async () => {
    const created = await h.http().post('/api/v2/jobs').set(bearer('acme')).send({ title: 'secret-title-xyz' });
    await h.app.get(CacheService).clear();
    await h.http().get(`/api/v2/jobs/${created.body.id}`).set(bearer('acme'));
    await h.http().get(`/api/v2/jobs/${created.body.id}`).set(bearer('acme'));
    const res = await h.http().get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    // The second poll is a hit in L1 or, while the coherence lease is not yet granted, in L2.
    const hits = metricValue(text, /^redis_cache_reads_total\{tier="l1",result="hit",group="job"\}/) + metricValue(text, /^redis_cache_reads_total\{tier="l2",result="hit",group="job"\}/);
    expect(hits).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, /^redis_cache_events_total\{event="load",group="job"\}/)).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^redis_cache_redis_call_duration_seconds_bucket\{le="0.005",operation="[a-z-]+",outcome="ok"\}/m);
    expect(metricValue(text, /^redis_cache_circuit_state /)).toBe(0);
    expect(metricValue(text, /^redis_cache_redis_available /)).toBe(1);
    // Coherence: every member heard, this instance not holding back acknowledgements.
    expect(metricValue(text, /^redis_cache_trusted /)).toBe(1);
    expect(metricValue(text, /^redis_cache_dark /)).toBe(0);
    expect(metricValue(text, /^redis_cache_silent_members /)).toBe(0);
    // Never a key, an id, a client, a value or a credential.
    for (const secret of [...Object.values(TOKENS), 'secret-title-xyz', 'acme', h.config.cache.prefix, `job:${created.body.id}`]) {
      expect(text).not.toContain(secret);
    }
  });

  it('adds the L1/L2 breakdown, circuit state, coalesced and stale counts to the admin statistics', async () => {
    const job = await h.http().post('/api/v2/jobs').set(bearer('acme')).send({});
    await h.app.get(CacheService).clear();
    await Promise.all(Array.from({ length: 5 }, () => h.http().get(`/api/v2/jobs/${job.body.id}`).set(bearer('acme'))));
    const res = await h.http().get('/api/v2/cache/stats').set(bearer('admin'));
    expect(res.status).toBe(200);
    expect(res.body.breakdown).toEqual({
      l1: { hits: expect.any(Number), misses: expect.any(Number), entries: expect.any(Number), bytes: expect.any(Number), maxEntries: expect.any(Number), maxBytes: expect.any(Number) },
      l2: { hits: expect.any(Number), misses: expect.any(Number), enabled: true, available: true, circuit: 'closed' },
      loads: expect.any(Number),
      coalesced: expect.any(Number),
      stale: expect.any(Number),
      errors: expect.any(Number),
      timeouts: expect.any(Number),
    });
    expect(res.body.breakdown.l1.hits + res.body.breakdown.coalesced).toBeGreaterThan(0);
    expect(res.body.breakdown.l1.entries).toBeGreaterThan(0);
  });
});
