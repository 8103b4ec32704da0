import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { CacheService } from '../nest/cache.service.js';
import { RedisCacheMetrics } from './redis-cache-metrics.js';

describe('RedisCacheMetrics (memory tier)', () => {
  it('counts reads and loads by key group, never by key', async () => {
    const cache = new CacheService({ keyPrefix: 'm:' });
    const registry = new Registry();
    const metrics = await RedisCacheMetrics.register(cache, { registry, maxGroups: 2 });
    await cache.getOrLoad(cache.key('job', 'secret-id'), async () => ({ a: 1 }));
    await cache.getOrLoad(cache.key('job', 'secret-id'), async () => ({ a: 1 }));
    await cache.get(cache.key('list', 1));
    await cache.get(cache.key('third', 1));
    const text = await registry.metrics();
    expect(text).toMatch(/redis_cache_events_total\{event="load",group="job"\} 1/);
    expect(text).toMatch(/redis_cache_reads_total\{tier="l1",result="hit",group="job"\} 1/);
    expect(text).toMatch(/group="other"/);
    expect(text).not.toContain('secret-id');
    metrics.stop();
    await cache.onApplicationShutdown();
  });
});
