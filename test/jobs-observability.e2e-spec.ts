import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AppHarness, bearer, startApp, TOKENS } from './support/app-harness.js';

const accessLines = (app: AppHarness) => app.logs.jsonLines.filter((l) => l.msg === 'request completed');

/** Issue 13: the access log with request ids, and the HTTP histogram, including requests answered before Nest. */
describe('jobs API access log, request ids and HTTP metrics', () => {
  let h: AppHarness;

  beforeAll(async () => {
    h = await startApp({
      nestLogger: 'pino',
      env: { LOG_LEVEL: 'debug' },
      beforeInit(app) {
        const fastify = app.getHttpAdapter().getInstance();
        // A route answered by its own onRequest hook, as the poll's fast path and the rate limit answer.
        fastify.route({
          method: 'GET',
          url: '/test/answered-early/:n',
          onRequest: (_request, reply, done) => {
            void reply.code(202).send({ early: true });
            done();
          },
          handler: () => ({ early: false }),
        });
        // A Nest Logger line written while a request with a JSON body is handled (after body parsing).
        fastify.addHook('preHandler', (request, _reply, done) => {
          if (request.headers['x-log-probe'] === '1') new Logger('Probe').log('inside the request');
          done();
        });
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });
  const histogramCount = (text: string, route: string, status: number): number => {
    const line = text.split('\n').find((l) => l.startsWith(`http_request_duration_seconds_count{method="GET",route="${route}",status_code="${status}"}`));
    return line === undefined ? 0 : Number(line.split(' ').pop());
  };

  it('accepts X-Request-Id, echoes it, and writes one access line with it; Authorization is redacted', async () => {
    const created = await h.http().post('/api/v2/jobs').set(bearer('acme')).send({ title: 't' });
    const res = await h.http().get(`/api/v2/jobs/${created.body.id}?x=1`).set(bearer('acme')).set('X-Request-Id', 'trace-abc.123');
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe('trace-abc.123');
    const lines = accessLines(h).filter((l) => l.reqId === 'trace-abc.123');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      route: '/api/v2/jobs/:id',
      request: { method: 'GET', url: `/api/v2/jobs/${created.body.id}?x=1`, headers: { authorization: '[Redacted]' } },
      response: { statusCode: 200, xCache: expect.stringMatching(/^(HIT|MISS)$/) },
      responseTimeMs: expect.any(Number),
    });
    for (const token of Object.values(TOKENS)) expect(h.logs.text).not.toContain(token);
  });

  it('generates a request id when none (or an unusable one) is given', async () => {
    for (const given of [undefined, 'has space', 'x'.repeat(129), 'line\\nbreak']) {
      const req = h.http().get('/health/live');
      const res = await (given === undefined ? req : req.set('X-Request-Id', given));
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(accessLines(h).some((l) => l.reqId === res.headers['x-request-id'])).toBe(true);
    }
  });

  it("puts the request id on Nest's own log lines written while the request is handled, body parsed or not", async () => {
    await h.http().get('/api/v2/jobs').set(bearer('acme')).set('X-Log-Probe', '1').set('X-Request-Id', 'probe-get');
    // A body that arrives after a pause is parsed on the socket's own events, outside the request's start.
    const server = h.app.getHttpServer();
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const status = await new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ title: 'probe' });
      const req = httpRequest(
        { port, host: '127.0.0.1', method: 'POST', path: '/api/v2/jobs', headers: { ...bearer('acme'), 'content-type': 'application/json', 'content-length': body.length, 'x-log-probe': '1', 'x-request-id': 'probe-post' } },
        (res) => resolve(res.statusCode ?? 0),
      );
      req.on('error', reject);
      req.write(body.slice(0, 5));
      setTimeout(() => req.end(body.slice(5)), 50);
    });
    expect(status).toBe(201);
    for (const id of ['probe-get', 'probe-post']) {
      const probe = h.logs.jsonLines.filter((l) => l.context === 'Probe' && l.reqId === id);
      expect(probe).toEqual([expect.objectContaining({ msg: 'inside the request', level: 30 })]);
    }
  });

  it('logs and counts a request answered by an onRequest hook, before Nest', async () => {
    const before = histogramCount((await h.http().get('/metrics')).text, '/test/answered-early/:n', 202);
    const res = await h.http().get('/test/answered-early/7').set('X-Request-Id', 'early-1');
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ early: true });
    expect(res.headers['x-request-id']).toBe('early-1');
    expect(accessLines(h).filter((l) => l.reqId === 'early-1')).toEqual([
      expect.objectContaining({ route: '/test/answered-early/:n', response: expect.objectContaining({ statusCode: 202 }) }),
    ]);
    expect(histogramCount((await h.http().get('/metrics')).text, '/test/answered-early/:n', 202)).toBe(before + 1);
  });

  it('counts every poll by route template, method and status — warm polls answered before Nest included — never by raw URL', async () => {
    const created = await h.http().post('/api/v2/jobs').set(bearer('acme')).send({});
    const before = histogramCount((await h.http().get('/metrics')).text, '/api/v2/jobs/:id', 200);
    for (let i = 0; i < 5; i++) expect((await h.http().get(`/api/v2/jobs/${created.body.id}`).set(bearer('acme'))).status).toBe(200);
    await h.http().get('/no/such/route/12345');
    const text = (await h.http().get('/metrics')).text;
    expect(histogramCount(text, '/api/v2/jobs/:id', 200)).toBe(before + 5);
    expect(histogramCount(text, 'unmatched', 404)).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(`/api/v2/jobs/${created.body.id}`);
    expect(text).not.toContain('/no/such/route');
    // Node's process metrics beside the cache's families.
    for (const family of ['process_cpu_seconds_total', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes', 'redis_cache_reads_total']) {
      expect(text).toMatch(new RegExp(`^# TYPE ${family} `, 'm'));
    }
  });

});

// Its own app, booted after the first closed: Nest's static `Logger` writes to the app created last.
describe('jobs API access log at the default level', () => {
  let quiet: AppHarness;
  beforeAll(async () => {
    quiet = await startApp({ env: { LOG_LEVEL: 'log' } });
  });
  afterAll(async () => {
    await quiet?.close();
  });

  it('keeps probes and scrapes out of the log, but logs the API', async () => {
    for (const path of ['/health', '/health/live', '/health/ready', '/metrics']) await quiet.http().get(path).set('X-Request-Id', `quiet-${path.length}`);
    await quiet.http().get('/api/v2/jobs').set('X-Request-Id', 'loud-1');
    const lines = accessLines(quiet);
    expect(lines.filter((l) => String(l.reqId).startsWith('quiet-'))).toEqual([]);
    expect(lines.filter((l) => l.reqId === 'loud-1')).toHaveLength(1);
    // No headers at info: nothing to redact, nothing to leak.
    expect(lines[0].request).not.toHaveProperty('headers');
  });
});
