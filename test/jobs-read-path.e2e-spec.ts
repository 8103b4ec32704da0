// The one read path of a poll, counted where it costs: the jobs API on a test-owned redis-server (MONITOR
// sees every command on the job's key) and behind a proxy that counts the SELECTs PostgreSQL receives.
// A cold poll: one Redis read (which places the fill's lease) and the fill, one PostgreSQL read, one stats
// count. A warm poll: answered before Nest by the fast path (after the guard's fast check), nothing sent to
// Redis or PostgreSQL, one stats count.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { CacheService, FastPathRouter } from 'nestjs-tiered-cache';
import { Redis } from 'ioredis';
import { PgCountingProxy } from '../bench/lib/pg-counting-proxy.mjs';
import { type AppHarness, bearer, createDatabase, dropDatabase, startApp } from './support/app-harness.js';
import { sleep } from './support/http-load.js';
import { TestRedisServer } from './support/redis-server.js';

describe('the read path of a poll', () => {
  let redis: TestRedisServer;
  let monitorClient: Redis;
  let marker: Redis;
  let proxy: PgCountingProxy;
  let databaseName: string;
  let h: AppHarness;
  const commands: string[][] = [];

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    databaseName = await createDatabase('read_path');
    proxy = new PgCountingProxy('jobs');
    await proxy.listen();
    h = await startApp({ redisUrl: redis.url, database: { url: proxy.url(`postgres://postgres@127.0.0.1:5432/${databaseName}`) } });
    monitorClient = new Redis(redis.url);
    marker = new Redis(redis.url);
    const monitor = await monitorClient.monitor();
    // Commands a client sent (not those a Lua script runs inside Redis, reported with source `lua`).
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua') commands.push(args);
    });
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    monitorClient?.disconnect();
    marker?.disconnect();
    await proxy?.close();
    if (databaseName) await dropDatabase(databaseName);
    await redis?.stop();
  });

  beforeEach(() => {
    h.app.get(CacheService).resetStats();
  });

  /** The commands clients sent on `key` since the last call (MONITOR is asynchronous: a marker closes the window). */
  async function commandsOn(key: string): Promise<string[]> {
    const token = `marker-${Math.random()}`;
    await marker.echo(token);
    for (let i = 0; i < 100 && !commands.some((c) => c[1] === token); i += 1) await sleep(10);
    const seen = commands.filter((c) => c.slice(1).includes(key)).map((c) => c[0].toUpperCase());
    commands.length = 0;
    return seen;
  }

  const jobKey = (id: number): string => `${h.config.cache.prefix}job:${id}`;
  const stats = () => h.app.get(CacheService).getStats();

  async function coldJob(): Promise<number> {
    const created = await h.http().post('/api/v2/jobs').set(bearer('acme')).send({ scenesTotal: 4 });
    expect(created.status).toBe(201);
    const id = (created.body as { id: number }).id;
    await h.app.get(CacheService).delete(h.app.get(CacheService).key('job', id)); // as if it had expired everywhere
    await commandsOn(jobKey(id));
    h.app.get(CacheService).resetStats();
    return id;
  }

  it('a cold poll: one Redis read of the job (placing the fill\'s lease), one PostgreSQL read, counted once (a miss)', async () => {
    const id = await coldJob();
    const reads = proxy.snapshot().reads;
    const poll = await h.http().get(`/api/v2/jobs/${id}`).set(bearer('acme'));
    expect([poll.status, poll.headers['x-cache']]).toEqual([200, 'MISS']);
    const onKey = await commandsOn(jobKey(id));
    // Two commands: the read of the entry, which — the key holding nothing — also placed the fill's lease
    // (one script, GET_OR_LEASE), and the fill. A script's first call on a connection is an EVAL.
    expect(onKey.filter((c) => ['GET', 'MGET', 'GETEX', 'GETDEL', 'SET'].includes(c))).toEqual([]);
    expect(onKey.filter((c) => c === 'EVALSHA' || c === 'EVAL')).toHaveLength(2);
    expect(onKey).toHaveLength(2);
    expect(proxy.snapshot().reads - reads).toBe(1);
    expect(stats()).toMatchObject({ misses: 1, hits: 0, loads: 1 });
  });

  it('a warm poll: answered before Nest, nothing sent to Redis or PostgreSQL, counted once (an L1 hit)', async () => {
    const id = await coldJob();
    await h.http().get(`/api/v2/jobs/${id}`).set(bearer('acme'));
    await commandsOn(jobKey(id));
    h.app.get(CacheService).resetStats();
    const router = h.app.get(FastPathRouter);
    expect(router.stats().routes).toEqual(['GET /api/v2/jobs/:id (JobsController.get)']);
    const { answered } = router.stats();
    const reads = proxy.snapshot().reads;
    const poll = await h.http().get(`/api/v2/jobs/${id}`).set(bearer('acme'));
    expect([poll.status, poll.headers['x-cache'], poll.headers['cache-control']]).toEqual([200, 'HIT', 'private, no-cache']);
    expect(router.stats().answered).toBe(answered + 1);
    expect(await commandsOn(jobKey(id))).toEqual([]);
    expect(proxy.snapshot().reads).toBe(reads);
    expect(stats()).toMatchObject({ hits: 1, l1Hits: 1, misses: 0 });
  });

  it('the guard takes part on every warm poll: no, a forged or another client\'s token is never answered early', async () => {
    const id = await coldJob();
    await h.http().get(`/api/v2/jobs/${id}`).set(bearer('acme'));
    const router = h.app.get(FastPathRouter);
    const { answered } = router.stats();
    expect((await h.http().get(`/api/v2/jobs/${id}`)).status).toBe(401);
    expect((await h.http().get(`/api/v2/jobs/${id}`).set({ Authorization: 'Bearer e2e-acme-token-012345678X' })).status).toBe(401);
    h.app.get(CacheService).resetStats();
    const reads = proxy.snapshot().reads;
    const other = await h.http().get(`/api/v2/jobs/${id}`).set(bearer('beta'));
    expect(other.status).toBe(404);
    expect(router.stats().answered).toBe(answered);
    // Handed on: the pipeline's one read of the entry (an L1 hit) is the one counted; no database read.
    expect(stats()).toMatchObject({ hits: 1, misses: 0 });
    expect(proxy.snapshot().reads).toBe(reads);
  });

  it('after an update, the first poll is answered early with the new version', async () => {
    const id = await coldJob();
    const first = await h.http().get(`/api/v2/jobs/${id}`).set(bearer('acme'));
    const patched = await h.http().patch(`/api/v2/jobs/${id}/progress`).set(bearer('admin')).send({ scenesCompleted: 2 });
    expect(patched.status).toBe(200);
    const { answered } = h.app.get(FastPathRouter).stats();
    const after = await h.http().get(`/api/v2/jobs/${id}`).set(bearer('acme'));
    expect(h.app.get(FastPathRouter).stats().answered).toBe(answered + 1);
    expect(after.body).toMatchObject({ version: 2, progress: { scenesCompleted: 2, percent: 50 } });
    expect(after.headers.etag).not.toBe(first.headers.etag);
  });
});
