import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { type AppHarness, bearer, startApp } from './support/app-harness.js';

type Operation = {
  security?: unknown[];
  parameters?: Array<{ name: string; in: string }>;
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema: object }> }>;
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, object> } };

/** Issue 13: OpenAPI 3.1 from the code, valid, complete, and true to what the API answers. */
describe('OpenAPI document', () => {
  let h: AppHarness;
  let doc: Document;
  const ajv = new Ajv2020({ strict: false, allErrors: true });

  beforeAll(async () => {
    h = await startApp();
    const res = await h.http().get('/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body as Document;
    ajv.addSchema({ $id: 'openapi', components: doc.components });
    ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Checks `body` against the documented schema of `path` `method` `status`. */
  const conforms = (path: string, method: string, status: number, body: unknown): void => {
    const schema = doc.paths[path]?.[method]?.responses[String(status)]?.content?.['application/json']?.schema;
    expect(schema).toBeDefined();
    const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/')) as object;
    const validate = ajv.compile(rewritten);
    const ok = validate(body);
    expect([path, method, status, ok ? 'conforms' : validate.errors]).toEqual([path, method, status, 'conforms']);
  };

  it('is a valid OpenAPI 3.1 document (the official schema, through @seriousme/openapi-schema-validator)', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes every route of the app, with bearer auth where it is required and every error', () => {
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.sort()).toEqual(
      [
        'POST /api/v2/jobs', 'GET /api/v2/jobs', 'GET /api/v2/jobs/{id}', 'PATCH /api/v2/jobs/{id}/progress', 'DELETE /api/v2/jobs/{id}',
        'GET /api/v2/jobs/{id}/events', 'GET /api/v2/cache/stats', 'DELETE /api/v2/cache', 'GET /health', 'GET /health/live', 'GET /health/ready', 'GET /metrics',
      ].sort(),
    );
    const poll = doc.paths['/api/v2/jobs/{id}'].get;
    expect(poll.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(poll.responses).sort()).toEqual(['200', '304', '400', '401', '404', '429', '503']);
    expect(Object.keys(poll.responses['200'].headers ?? {})).toEqual(expect.arrayContaining(['ETag', 'X-Cache', 'Age']));
    expect(poll.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(['path:id', 'header:If-None-Match']));
    expect(Object.keys(poll.responses['429'].headers ?? {})).toEqual(['Retry-After']);
    expect(doc.paths['/api/v2/jobs'].get.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(['limit', 'cursor', 'status']));
    const events = doc.paths['/api/v2/jobs/{id}/events'].get;
    expect(events.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(events.responses).sort()).toEqual(['200', '400', '401', '404', '429', '503']);
    expect(Object.keys(events.responses['200'].content ?? {})).toEqual(['text/event-stream']);
    expect(events.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(['path:id', 'header:Last-Event-ID']));
    expect(doc.paths['/health/ready'].get.security).toBeUndefined();
  });

  it('matches what the API answers: bodies against their schemas, errors included', async () => {
    const created = await h.http().post('/api/v2/jobs').set(bearer('acme')).send({ title: 'documented', scenesTotal: 4 });
    conforms('/api/v2/jobs', 'post', 201, created.body);
    const polled = await h.http().get(`/api/v2/jobs/${created.body.id}`).set(bearer('acme'));
    conforms('/api/v2/jobs/{id}', 'get', 200, polled.body);
    const etag = polled.headers.etag;
    expect((await h.http().get(`/api/v2/jobs/${created.body.id}`).set(bearer('acme')).set('If-None-Match', etag)).status).toBe(304);
    const patched = await h.http().patch(`/api/v2/jobs/${created.body.id}/progress`).set(bearer('admin')).send({ status: 'running', currentStage: null, scenesCompleted: 1 });
    conforms('/api/v2/jobs/{id}/progress', 'patch', 200, patched.body);
    conforms('/api/v2/jobs', 'get', 200, (await h.http().get('/api/v2/jobs?status=running').set(bearer('acme'))).body);
    const errors: Array<[string, string, number, Promise<{ status: number; body: unknown }>]> = [
      ['/api/v2/jobs/{id}', 'get', 400, h.http().get('/api/v2/jobs/01').set(bearer('acme'))],
      ['/api/v2/jobs/{id}', 'get', 401, h.http().get(`/api/v2/jobs/${created.body.id}`)],
      ['/api/v2/jobs/{id}', 'get', 404, h.http().get(`/api/v2/jobs/${created.body.id}`).set(bearer('beta'))],
      ['/api/v2/jobs', 'get', 400, h.http().get('/api/v2/jobs?status=lost').set(bearer('acme'))],
      ['/api/v2/jobs/{id}/progress', 'patch', 403, h.http().patch(`/api/v2/jobs/${created.body.id}/progress`).set(bearer('acme')).send({ status: 'failed' })],
      ['/api/v2/jobs/{id}/progress', 'patch', 400, h.http().patch(`/api/v2/jobs/${created.body.id}/progress`).set(bearer('admin')).send({ nope: 1 })],
    ];
    for (const [path, method, status, pending] of errors) {
      const res = await pending;
      expect([path, method, res.status]).toEqual([path, method, status]);
      conforms(path, method, status, res.body);
    }
    // Live or not depends on this process's event loop (jest's, shared with the test): either answer must conform.
    const live = await h.http().get('/health/live');
    conforms('/health/live', 'get', live.status, live.body);
    conforms('/health/ready', 'get', 200, (await h.http().get('/health/ready')).body);
  });

  it('serves the Swagger UI at /docs', async () => {
    const res = await h.http().get('/docs').redirects(2);
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger-ui');
  });
});
