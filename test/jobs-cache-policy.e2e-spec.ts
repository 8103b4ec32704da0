import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { type AppHarness, bearer, SHARED_REDIS_URL, startApp } from './support/app-harness.js';

/** Issue 4: the jobs' TTL policy by status, as Redis holds it (the job code is now only this policy). */
describe('jobs cache policy', () => {
  let h: AppHarness;
  let redis: Redis;

  beforeAll(async () => {
    h = await startApp();
    redis = new Redis(SHARED_REDIS_URL, { commandTimeout: 1000, maxRetriesPerRequest: 0 });
  });
  afterAll(async () => {
    redis?.disconnect();
    await h?.close();
  });

  const ttlOfJob = async (id: number): Promise<number> => redis.pttl(`${h.config.cache.prefix}job:${id}`);

  it('keeps queued and running jobs for CACHE_TTL_SECONDS and finished ones for an hour', async () => {
    const grace = h.config.cache.graceSeconds * 1000;
    const job = await h.http().post('/api/v2/jobs').set(bearer('acme')).send({ scenesTotal: 2 });
    const queued = await ttlOfJob(job.body.id);
    expect(queued).toBeGreaterThan(0);
    expect(queued).toBeLessThanOrEqual(h.config.cache.ttlSeconds * 1000 + grace);
    await h.http().patch(`/api/v2/jobs/${job.body.id}/progress`).set(bearer('admin')).send({ status: 'running' });
    expect(await ttlOfJob(job.body.id)).toBeLessThanOrEqual(h.config.cache.ttlSeconds * 1000 + grace);
    await h.http().patch(`/api/v2/jobs/${job.body.id}/progress`).set(bearer('admin')).send({ status: 'completed', scenesCompleted: 2 });
    const finished = await ttlOfJob(job.body.id);
    expect(finished).toBeGreaterThan(3_500_000);
    expect(finished).toBeLessThanOrEqual(3_600_000 + grace);
    const poll = await h.http().get(`/api/v2/jobs/${job.body.id}`).set(bearer('acme'));
    expect(poll.headers['x-cache']).toBe('HIT');
    expect(poll.body.status).toBe('completed');
  });

  it('remembers an unknown id as missing for CACHE_NEGATIVE_TTL seconds only', async () => {
    const res = await h.http().get('/api/v2/jobs/987654').set(bearer('acme'));
    expect(res.status).toBe(404);
    const ttl = await ttlOfJob(987654);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(h.config.cache.negativeTtlSeconds * 1000);
  });
});
