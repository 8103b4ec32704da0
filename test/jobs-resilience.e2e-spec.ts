import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AppHarness, bearer, startApp } from './support/app-harness.js';
import { TestRedisServer } from './support/redis-server.js';
import { slack } from './support/machine-load.js';

const REDIS_PASSWORD = 'r3dis-Pa55-e2e-7c1d';
const DB_PASSWORD = 'pg-Pa55-e2e-94ab';

/**
 * Faults injected for real: a test-owned, password-protected redis-server that the test kills, then the
 * test's database dropped under the running app. The service keeps answering from PostgreSQL and memory
 * while Redis is gone; health turns 503 only when PostgreSQL stops answering. No password ever leaks.
 */
describe('jobs API when its backends fail', () => {
  let redis: TestRedisServer;
  let h: AppHarness;
  const bodies: string[] = [];

  const get = async (path: string, who: 'acme' | 'admin' = 'acme') => {
    const res = await h.http().get(path).set(bearer(who));
    bodies.push(res.text ?? '');
    return res;
  };

  beforeAll(async () => {
    redis = await TestRedisServer.start({ args: ['--requirepass', REDIS_PASSWORD] });
    h = await startApp({ redisUrl: `redis://:${REDIS_PASSWORD}@127.0.0.1:${redis.port}`, databasePassword: DB_PASSWORD });
  });
  afterAll(async () => {
    await h?.close();
    await redis?.stop();
  });

  it('reports Redis in use, without its password', async () => {
    expect(h.logs.text).toContain(`Redis at redis://127.0.0.1:${redis.port}`);
    expect(h.logs.text).toContain('PostgreSQL at postgres://postgres@127.0.0.1:5432/');
    const stats = await get('/api/v2/cache/stats', 'admin');
    expect(stats.body.statistics).toMatchObject({ redisEnabled: true, redisAvailable: true });
  });

  it('keeps serving polls, fast, when Redis is killed; stats and health say degraded, not down', async () => {
    const created = await h.http().post('/api/v2/jobs').set(bearer('acme')).send({ scenesTotal: 4 });
    const id = created.body.id as number;
    expect((await get(`/api/v2/jobs/${id}`)).headers['x-cache']).toBe('HIT');

    await redis.kill();

    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const res = await get(`/api/v2/jobs/${id}`);
      const elapsed = performance.now() - started;
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(id);
      // The command timeout is 200 ms; a poll must never wait on a dead Redis for longer than that.
      expect(elapsed).toBeLessThan(200 + slack(200));
    }

    // Writes still work, and the next poll shows the new version.
    const updated = await h.http().patch(`/api/v2/jobs/${id}/progress`).set(bearer('admin')).send({ scenesCompleted: 2 });
    expect(updated.status).toBe(200);
    expect(updated.body.version).toBe(2);
    const poll = await get(`/api/v2/jobs/${id}`);
    expect(poll.status).toBe(200);
    expect(poll.body.version).toBe(2);

    const another = await h.http().post('/api/v2/jobs').set(bearer('acme')).send({});
    expect(another.status).toBe(201);
    expect((await get(`/api/v2/jobs/${another.body.id as number}`)).status).toBe(200);
    expect((await get('/api/v2/jobs')).status).toBe(200);

    const stats = await get('/api/v2/cache/stats', 'admin');
    expect(stats.status).toBe(200);
    expect(stats.body.statistics).toMatchObject({ redisEnabled: true, redisAvailable: false });

    const health = await h.http().get('/health');
    bodies.push(health.text);
    expect(health.status).toBe(200);
    expect(health.body.details.database.status).toBe('up');
    // Redis down is degraded service: the cache indicator stays up and says so in its details.
    expect(health.body.details.cache).toMatchObject({ status: 'up', redisAvailable: false, state: 'degraded' });
  });

  it('picks Redis up again when it comes back', async () => {
    await redis.restart();
    const deadline = Date.now() + 10_000;
    let available = false;
    while (!available && Date.now() < deadline) {
      await get('/api/v2/jobs');
      const stats = await get('/api/v2/cache/stats', 'admin');
      available = stats.body.statistics.redisAvailable === true;
      if (!available) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(available).toBe(true);
  });

  it('answers 503 on /health when PostgreSQL stops answering', async () => {
    await h.http().post('/api/v2/jobs').set(bearer('acme')).send({});
    // Cut every connection and remove the database: the pool cannot reconnect to it.
    const { dropDatabase } = await import('./support/app-harness.js');
    await dropDatabase(h.databaseName!);
    const started = performance.now();
    const health = await h.http().get('/health');
    bodies.push(health.text);
    expect(health.status).toBe(503);
    expect(health.body.status).toBe('error');
    expect(health.body.details.database.status).toBe('down');
    expect(performance.now() - started).toBeLessThan(1_000 + slack(2_000));
    // A request that needs the database now fails as a server error, without internals in the body.
    const poll = await get('/api/v2/jobs/987654');
    expect(poll.status).toBeGreaterThanOrEqual(500);
    expect(poll.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
  });

  it('never puts a password in a log line or a response body', () => {
    expect(h.logs.lines.length).toBeGreaterThan(0);
    expect(bodies.length).toBeGreaterThan(20);
    for (const secret of [REDIS_PASSWORD, DB_PASSWORD]) {
      expect(h.logs.text).not.toContain(secret);
      for (const body of bodies) expect(body).not.toContain(secret);
    }
  });
});
