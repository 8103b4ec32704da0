// The write path releases its PostgreSQL connection before it waits for the cache. Two jobs-api instances
// share a test-owned redis-server; the peer reaches it through a TCP proxy that then swallows every byte
// (frozen: its heartbeats stop, its acks never come), so each update waits for it up to about a lease.
// 200 concurrent updates against a pool of 5, whose acquire timeout is shorter than that wait, all succeed:
// a write that held its connection through the wait would starve the pool and answer 503.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import { type AppCluster, startCluster, statsOf } from './support/app-cluster.js';
import { percentile, sleep, until } from './support/http-load.js';
import { insertJobs } from './support/jobs-db.js';
import { auth } from './support/listening-app.js';
import { TestRedisServer } from './support/redis-server.js';
import { TcpProxy } from './support/tcp-proxy.js';

const UPDATES = 200;
const POOL = 5;
const LEASE_MS = 1500;
const ACQUIRE_TIMEOUT_MS = 1000;

describe('write path under a frozen peer', () => {
  let redis: TestRedisServer;
  let proxy: TcpProxy;
  let cluster: AppCluster;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    proxy = await TcpProxy.start(redis.port);
    cluster = await startCluster({
      redisUrls: [redis.url, proxy.url],
      prefix: 'write-path:',
      env: { DB_POOL_SIZE: String(POOL), DB_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_TIMEOUT_MS), CACHE_LEASE_MS: String(LEASE_MS) },
    });
  }, 60_000);

  afterAll(async () => {
    proxy?.heal();
    await cluster?.close();
    await proxy?.stop();
    await redis?.stop();
  });

  it(`${UPDATES} concurrent updates against a pool of ${POOL}: none waits for a connection while the cache waits for the peer`, async () => {
    const [writer] = cluster.instances;
    expect(writer.config.database.poolSize).toBe(POOL);
    // The premise: a connection held through the peer wait would outlast a waiting request's acquire timeout.
    expect(writer.config.database.acquireTimeoutMs).toBeLessThan(writer.config.cache.leaseMs);
    const ids = await insertJobs(cluster.databaseUrl, 'acme', UPDATES);
    expect(await until(async () => (await statsOf(writer)).bus.peers >= 1, 5_000)).toBe(true);

    const pool = (writer.app.get(DataSource).driver as unknown as { master: pg.Pool }).master;
    const samples: Array<{ inflight: number; checkedOut: number; waiting: number }> = [];
    let inflight = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push({ inflight, checkedOut: pool.totalCount - pool.idleCount, waiting: pool.waitingCount });
        await sleep(20);
      }
    })();

    proxy.setMode('blackhole'); // the peer is frozen from here on
    const answers = await Promise.all(ids.map(async (id) => {
      inflight += 1;
      const answer = await writer.client.send('PATCH', `/api/v2/jobs/${id}/progress`, {
        headers: auth('admin'), body: { status: 'running', scenesCompleted: 1 }, timeoutMs: 15_000,
      });
      inflight -= 1;
      return answer;
    }));
    sampling = false;
    await sampler;

    const statuses: Record<number, number> = {};
    for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    const latencies = answers.map((a) => a.ms);
    const waitingOnTheCache = samples.filter((s) => s.inflight >= UPDATES / 2 && s.checkedOut === 0 && s.waiting === 0);
    process.stdout.write(`write path: ${JSON.stringify(statuses)}; latency p50 ${percentile(latencies, 50).toFixed(0)} ms, `
      + `p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms; most connections checked out `
      + `${Math.max(...samples.map((s) => s.checkedOut))}, most waiting for one ${Math.max(...samples.map((s) => s.waiting))}; `
      + `${waitingOnTheCache.length}/${samples.length} samples with ≥ ${UPDATES / 2} updates in flight and no connection held\n`);

    expect(statuses).toEqual({ 200: UPDATES });
    // The updates did wait for the frozen peer (else this test would prove nothing about holding connections)…
    expect(percentile(latencies, 50)).toBeGreaterThan(LEASE_MS / 3);
    // …and while most of them were waiting, no connection was held and nobody waited for one.
    expect(waitingOnTheCache.length).toBeGreaterThan(0);
    const versions = await Promise.all(ids.slice(0, 5).map((id) => writer.client.send('GET', `/api/v2/jobs/${id}`, { headers: auth('admin') })));
    for (const v of versions) expect(JSON.parse(v.body)).toMatchObject({ version: 2, progress: { scenesCompleted: 1 } });
  }, 60_000);
});
