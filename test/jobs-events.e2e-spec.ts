import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AppCluster, startCluster } from './support/app-cluster.js';
import { deleteRedisKeys, SHARED_REDIS_URL } from './support/app-harness.js';
import { auth, type ListeningApp, startListeningApp } from './support/listening-app.js';
import { slack } from './support/machine-load.js';
import { SseClient } from './support/sse-client.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { until } from './support/wait.js';

/**
 * `GET /api/v2/jobs/:id/events`: a job's versions as Server-Sent Events — the poll's auth and ownership, a bound
 * on open streams per caller, `Last-Event-ID` resumption, heartbeats, the end of a stream — and, with two
 * instances, versions pushed from the instance that took the update to a stream on the other one.
 */
interface Job {
  id: number;
  version: number;
  status: string;
}

async function call(h: ListeningApp, method: string, path: string, who: 'admin' | 'acme' | 'beta', body?: object): Promise<Job> {
  const response = await fetch(`${h.baseUrl}${path}`, {
    method, headers: { ...auth(who), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
  });
  expect(response.status).toBeLessThan(300);
  return (response.status === 204 ? undefined : await response.json()) as Job;
}

const createJob = (h: ListeningApp, scenesTotal = 10) => call(h, 'POST', '/api/v2/jobs', 'acme', { title: 'Stream me', scenesTotal });
const progress = (h: ListeningApp, id: number, changes: object) => call(h, 'PATCH', `/api/v2/jobs/${id}/progress`, 'admin', changes);
const stream = (h: ListeningApp, id: number | string, who: 'admin' | 'acme' | 'beta' | null = 'acme', extra: Record<string, string> = {}) =>
  SseClient.open(`${h.baseUrl}/api/v2/jobs/${id}/events`, { ...(who ? auth(who) : {}), ...extra });

describe('job event streams', () => {
  let h: ListeningApp;
  const open: SseClient[] = [];
  const opened = async (client: Promise<SseClient>) => {
    const c = await client;
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    h = await startListeningApp({ env: { JOB_STREAMS_PER_CLIENT: '2', JOB_STREAM_HEARTBEAT_MS: '1000' } });
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await h?.close();
  });

  it('answers like the poll before streaming: 401 without a token, 404 for another client’s or no job, 400 for a bad id or Last-Event-ID', async () => {
    const job = await createJob(h);
    const answers = await Promise.all([
      stream(h, job.id, null), stream(h, job.id, 'beta'), stream(h, 999_999), stream(h, 'abc'), stream(h, job.id, 'acme', { 'last-event-id': 'v3' }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([401, 404, 404, 400, 400]);
    expect(JSON.parse(answers[4].body)).toMatchObject({ statusCode: 400, message: expect.stringContaining('Last-Event-ID') });
  });

  it('sends the job on connect, then each update in order, once; ends after the job completes', async () => {
    const job = await createJob(h, 3);
    const events = await opened(stream(h, job.id));
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await until(() => events.versions.length === 1, 5_000)).toBe(true);
    expect(JSON.parse(events.events[0].data)).toMatchObject({ id: job.id, version: 1, status: 'queued' });
    for (let scene = 1; scene <= 3; scene += 1) {
      const updated = await progress(h, job.id, { status: scene === 3 ? 'completed' : 'running', scenesCompleted: scene });
      // Pushed: the stream has the version the update answered with soon after the answer.
      expect(await until(() => events.versions.includes(updated.version), 2_000)).toBe(true);
    }
    expect(await until(() => events.ended, 2_000)).toBe(true);
    expect(events.versions).toEqual([1, 2, 3, 4]);
    expect(events.events.map((e) => e.event)).toEqual(['job', 'job', 'job', 'job', 'end']);
    expect(JSON.parse(events.events.at(-1)!.data)).toEqual({ id: job.id, status: 'completed', version: 4 });
    expect(events.error).toBeUndefined();
  });

  it('writes a heartbeat comment while nothing changes', async () => {
    const job = await createJob(h);
    const events = await opened(stream(h, job.id));
    expect(await until(() => events.comments.includes('heartbeat'), 3_000)).toBe(true);
    events.close();
  });

  it('resumes after Last-Event-ID without a repeat; a finished job resumed at its last version just ends', async () => {
    const job = await createJob(h, 2);
    await progress(h, job.id, { status: 'running', scenesCompleted: 1 }); // v2
    const resumed = await opened(stream(h, job.id, 'acme', { 'last-event-id': '2' }));
    await progress(h, job.id, { status: 'completed', scenesCompleted: 2 }); // v3
    expect(await until(() => resumed.ended, 3_000)).toBe(true);
    expect(resumed.versions).toEqual([3]);
    const again = await opened(stream(h, job.id, 'acme', { 'last-event-id': '3' }));
    expect(await until(() => again.ended, 3_000)).toBe(true);
    expect(again.events.map((e) => e.event)).toEqual(['end']);
  });

  it('sends gone and ends when the job is deleted', async () => {
    const job = await createJob(h);
    const events = await opened(stream(h, job.id));
    expect(await until(() => events.versions.length === 1, 5_000)).toBe(true);
    await call(h, 'DELETE', `/api/v2/jobs/${job.id}`, 'admin');
    expect(await until(() => events.ended, 3_000)).toBe(true);
    expect(events.events.map((e) => e.event)).toEqual(['job', 'gone']);
  });

  it('bounds the streams a caller holds open (429 with Retry-After), and gives a slot back when a client leaves', async () => {
    const [first, second] = await Promise.all([createJob(h), createJob(h)]);
    const a = await opened(stream(h, first.id));
    const b = await opened(stream(h, second.id));
    expect([a.status, b.status]).toEqual([200, 200]);
    const refused = await stream(h, first.id);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(JSON.parse(refused.body)).toMatchObject({ statusCode: 429, message: expect.stringContaining('At most 2') });
    // Another caller has slots of its own.
    const admin = await opened(stream(h, first.id, 'admin'));
    expect(admin.status).toBe(200);
    // Operators see them: three open on this instance (the refused one never was).
    const metrics = await (await fetch(`${h.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^jobs_api_event_streams_open 3$/m);
    a.close();
    let third: SseClient | undefined;
    expect(await until(async () => {
      third = await stream(h, first.id);
      if (third.status === 200) open.push(third);
      return third.status === 200;
    }, 3_000)).toBe(true);
    b.close();
    third!.close();
    admin.close();
  });

  it('ends its open streams when the instance shuts down (clients reconnect elsewhere)', async () => {
    const job = await createJob(h);
    const events = await opened(stream(h, job.id));
    expect(await until(() => events.versions.length === 1, 5_000)).toBe(true);
    const started = performance.now();
    await h.close();
    expect(events.ended).toBe(true);
    expect(events.error).toBeUndefined();
    // Not held open until a timeout: the server closed right after ending the streams.
    expect(performance.now() - started).toBeLessThan(8_000);
  });
});

describe('job event streams across two instances', () => {
  const prefix = `jobs-events-${Math.random().toString(16).slice(2, 10)}:`;
  const LEASE_MS = 500;
  let cluster: AppCluster;
  let proxy: TcpProxy;

  beforeAll(async () => {
    // B reaches Redis (data and bus) through a proxy the last test cuts.
    proxy = await TcpProxy.start(Number(new URL(SHARED_REDIS_URL).port));
    cluster = await startCluster({ redisUrls: [SHARED_REDIS_URL, proxy.url], prefix, env: { CACHE_LEASE_MS: String(LEASE_MS) } });
  });
  const streams: SseClient[] = [];
  afterAll(async () => {
    for (const events of streams) events.close();
    await cluster?.close();
    await proxy?.stop();
    await deleteRedisKeys(SHARED_REDIS_URL, prefix);
  });

  /** A job created through A, and its stream opened on B, with the job's first version received. */
  async function streamOnB(scenesTotal: number): Promise<{ a: ListeningApp; job: Job; events: SseClient }> {
    const [a, b] = cluster.instances;
    const job = await createJob(a, scenesTotal);
    const events = await stream(b, job.id);
    streams.push(events);
    expect(await until(() => events.versions.length === 1, 5_000)).toBe(true);
    return { a, job, events };
  }

  /**
   * Sends each update through `writer`, then waits for its version on `events`; how long after each `200` its
   * event arrived (by the event's own arrival time; negative when it came before the test read the `200`).
   */
  async function pushed(writer: ListeningApp, events: SseClient, id: number, updates: object[], timeoutMs: number): Promise<number[]> {
    const lateMs: number[] = [];
    for (const changes of updates) {
      const updated = await progress(writer, id, changes);
      const acked = performance.now();
      expect(await until(() => events.versions.includes(updated.version), timeoutMs)).toBe(true);
      lateMs.push(events.events.find((e) => e.event === 'job' && Number(e.id) === updated.version)!.at - acked);
    }
    return lateMs;
  }

  it('a stream on one instance gets every version acknowledged through the other, in order, once, soon after its 200', async () => {
    const { a, job, events } = await streamOnB(30);
    const updates = Array.from({ length: 30 }, (_v, i) => ({ status: i === 29 ? 'completed' : 'running', scenesCompleted: i + 1 }));
    const lateMs = await pushed(a, events, job.id, updates, 3_000);
    expect(await until(() => events.ended, 3_000)).toBe(true);
    expect(events.versions).toEqual(Array.from({ length: 31 }, (_v, i) => i + 1));
    // Pushed by the bus, not found by the 1 s fallback read: most versions arrive well within it.
    lateMs.sort((x, y) => x - y);
    expect(lateMs[Math.floor(lateMs.length / 2)]).toBeLessThan(500);
    process.stdout.write(`event stream on B, updates through A: ${lateMs.length} versions, 200 → event p50 ${lateMs[Math.floor(lateMs.length / 2)].toFixed(1)} ms, max ${lateMs.at(-1)!.toFixed(1)} ms\n`);
  });

  it('with B cut off from Redis, its stream still gets every version acknowledged through A, in order, within the fallback bound', async () => {
    const { a, job, events } = await streamOnB(10);
    try {
      proxy.setMode('blackhole');
      // B's lease runs out (A waits for it once), then B's stream reads the job every second through the
      // poll's path (Redis unreachable: PostgreSQL); one read costs up to a command timeout first.
      const boundMs = LEASE_MS + 1000 + 200 + slack(1000);
      const waits = await pushed(a, events, job.id, Array.from({ length: 6 }, (_v, i) => ({ status: 'running', scenesCompleted: i + 1 })), 10_000);
      expect(Math.max(...waits)).toBeLessThanOrEqual(boundMs);
      process.stdout.write(`event stream on B cut off from Redis: 200 → event max ${Math.max(...waits).toFixed(0)} ms (bound ${boundMs} ms)\n`);
      proxy.heal();
      const finished = await progress(a, job.id, { status: 'completed', scenesCompleted: 10 });
      expect(await until(() => events.ended, 10_000)).toBe(true);
      expect(events.versions).toEqual(Array.from({ length: finished.version }, (_v, i) => i + 1));
      expect(events.events.at(-1)?.event).toBe('end');
    } finally {
      proxy.heal();
    }
  });
});
