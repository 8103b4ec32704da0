import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ReadinessCheck } from '../apps/jobs-api/src/health/readiness.js';
import { type AppHarness, bearer, createDatabase, dropDatabase, startApp } from './support/app-harness.js';
import { TestRedisServer } from './support/redis-server.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { until } from './support/wait.js';

/**
 * Issue 13: liveness and readiness as Kubernetes uses them. PostgreSQL is reached through a TCP proxy the
 * test cuts; Redis is a test-owned redis-server the test kills.
 */
describe('jobs API probes', () => {
  let redis: TestRedisServer;
  let proxy: TcpProxy;
  let databaseName: string;
  let h: AppHarness;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    proxy = await TcpProxy.start(5432);
    databaseName = await createDatabase();
    h = await startApp({
      redisUrl: redis.url,
      database: { url: `postgres://postgres@127.0.0.1:${proxy.port}/${databaseName}` },
      env: { CACHE_TTL_SECONDS: '60', DB_ACQUIRE_TIMEOUT_MS: '300' },
    });
  });
  afterAll(async () => {
    await h?.close();
    await proxy?.stop();
    await redis?.stop();
    if (databaseName !== undefined) await dropDatabase(databaseName);
  });

  it('says live and ready while everything answers, without a token', async () => {
    const live = await h.http().get('/health/live');
    expect(live.status).toBe(200);
    expect(live.body).toEqual({ status: 'up', eventLoopDelayMs: { p99: expect.any(Number), max: expect.any(Number) } });
    const ready = await h.http().get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ ready: true, status: 'ready', database: 'up', cache: 'redis' });
  });

  it('stays ready while PostgreSQL is down and the cache serves polls; /health says 503 for people', async () => {
    const job = await h.http().post('/api/v2/jobs').set(bearer('acme')).send({ title: 'kept' });
    expect((await h.http().get(`/api/v2/jobs/${job.body.id}`).set(bearer('acme'))).status).toBe(200);
    proxy.cut(true);
    try {
      const ready = await h.http().get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ ready: true, status: 'ready', database: 'down', cache: 'redis' });
      // What readiness promises: this instance answers polls.
      const poll = await h.http().get(`/api/v2/jobs/${job.body.id}`).set(bearer('acme'));
      expect(poll.status).toBe(200);
      expect(poll.body.title).toBe('kept');
      expect((await h.http().get('/health')).status).toBe(503);
      expect((await h.http().get('/health/live')).status).toBe(200);

      // PostgreSQL and Redis both gone: a poll could only fail, so not ready — but still live.
      await redis.kill();
      expect(await until(async () => (await h.http().get('/health/ready')).status === 503, 5_000)).toBe(true);
      const notReady = await h.http().get('/health/ready');
      expect(notReady.body).toEqual({ ready: false, status: 'not-ready', database: 'down', cache: 'redis-unavailable' });
      expect((await h.http().get('/health/live')).status).toBe(200);
    } finally {
      proxy.heal();
      if (!redis.running) await redis.restart();
    }
    expect(await until(async () => (await h.http().get('/health/ready')).status === 200, 10_000)).toBe(true);
  });

  it('turns not ready as soon as shutdown begins, so the load balancer drains this instance', async () => {
    h.app.get(ReadinessCheck).beforeApplicationShutdown();
    const res = await h.http().get('/health/ready');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ ready: false, status: 'draining' });
  });
});
