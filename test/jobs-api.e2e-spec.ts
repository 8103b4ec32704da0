import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CacheService } from 'nestjs-tiered-cache';
import { type AppHarness, bearer, startApp, TOKENS } from './support/app-harness.js';

/** The HTTP contract of issue 2 against real PostgreSQL and the shared Redis (own key prefix). */
describe('jobs API contract', () => {
  let h: AppHarness;

  beforeAll(async () => {
    h = await startApp();
  });
  afterAll(async () => {
    await h.close();
  });

  const create = async (who: 'acme' | 'beta' | 'admin', body: object = {}) => {
    const res = await h.http().post('/api/v2/jobs').set(bearer(who)).send(body);
    expect(res.status).toBe(201);
    return res.body as { id: number; version: number; clientId: string };
  };
  const patch = (id: number, body: unknown) => h.http().patch(`/api/v2/jobs/${id}/progress`).set(bearer('admin')).send(body as object);

  describe('POST /api/v2/jobs', () => {
    it('creates a queued job owned by the calling client, version 1, ISO timestamps', async () => {
      const res = await h.http().post('/api/v2/jobs').set(bearer('acme')).send({ title: 'Intro video', scenesTotal: 12 });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(Number),
        clientId: 'acme',
        title: 'Intro video',
        status: 'queued',
        progress: { currentStage: null, scenesCompleted: 0, scenesTotal: 12, percent: 0 },
        version: 1,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
      expect(Number.isInteger(res.body.id) && res.body.id > 0).toBe(true);
    });

    it('applies defaults for an empty body', async () => {
      const res = await h.http().post('/api/v2/jobs').set(bearer('beta')).send({});
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ clientId: 'beta', title: 'Untitled job', progress: { scenesTotal: 0, percent: 0 } });
    });

    it('lets the admin create a job for a client, and requires the client then', async () => {
      await expect(create('admin', { clientId: 'beta', title: 'from a worker' })).resolves.toMatchObject({ clientId: 'beta' });
      const res = await h.http().post('/api/v2/jobs').set(bearer('admin')).send({ title: 'whose?' });
      expect(res.status).toBe(400);
    });

    it('lets a client name only itself as clientId', async () => {
      await expect(create('acme', { clientId: 'acme' })).resolves.toMatchObject({ clientId: 'acme' });
      const res = await h.http().post('/api/v2/jobs').set(bearer('acme')).send({ clientId: 'beta' });
      expect(res.status).toBe(403);
    });

    it.each([
      [{ scenesTotal: '5' }],
      [{ scenesTotal: 1.5 }],
      [{ scenesTotal: -1 }],
      [{ scenesTotal: 2_147_483_648 }],
      [{ scenesTotal: null }],
      [{ title: 42 }],
      [{ title: '' }],
      [{ title: 'x'.repeat(201) }],
      [{ clientId: 'bad id*' }],
      [{ status: 'running' }],
      [{ unknown: 1 }],
    ])('refuses %j with 400', async (body) => {
      const res = await h.http().post('/api/v2/jobs').set(bearer('admin')).send({ clientId: 'acme', ...body });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, message: expect.anything() });
    });

    it('refuses a JSON array or scalar body with 400', async () => {
      for (const raw of ['[]', '"x"', '5']) {
        const res = await h.http().post('/api/v2/jobs').set(bearer('acme')).set('Content-Type', 'application/json').send(raw);
        expect(res.status).toBe(400);
      }
    });
  });

  describe('GET /api/v2/jobs/:id', () => {
    it('serves MISS then HIT with an ETag, and 304 for a matching If-None-Match', async () => {
      const job = await create('acme', { scenesTotal: 3 });
      await h.app.get(CacheService).clear();
      const first = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme'));
      expect(first.status).toBe(200);
      expect(first.headers['x-cache']).toBe('MISS');
      const etag = first.headers.etag;
      expect(etag).toMatch(/^"[^"]+"$/);
      const second = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme'));
      expect(second.headers['x-cache']).toBe('HIT');
      expect(second.headers.etag).toBe(etag);
      expect(second.body).toEqual(first.body);

      for (const header of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
        const res = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme')).set('If-None-Match', header);
        expect(res.status).toBe(304);
        expect(res.text ?? '').toBe('');
        expect(res.headers.etag).toBe(etag);
      }
      const stale = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme')).set('If-None-Match', '"job-0-v0"');
      expect(stale.status).toBe(200);
    });

    it.each(['0', '-1', '1.5', 'abc', '9007199254740992', '1e3', '%201', '01', '0x10', '99999999999999999999'])(
      'answers 400 for id %s',
      async (id) => {
        const res = await h.http().get(`/api/v2/jobs/${id}`).set(bearer('acme'));
        expect(res.status).toBe(400);
      },
    );

    it('answers 404 (not 500) for the largest valid id and for a missing job', async () => {
      for (const id of ['9007199254740991', '123456789']) {
        const res = await h.http().get(`/api/v2/jobs/${id}`).set(bearer('acme'));
        expect(res.status).toBe(404);
      }
    });

    it("hides another client's job as 404, cached or not; the admin sees it", async () => {
      const job = await create('acme');
      const uncached = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('beta'));
      expect(uncached.status).toBe(404);
      const own = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme'));
      expect(own.headers['x-cache']).toBe('HIT');
      const cached = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('beta'));
      expect(cached.status).toBe(404);
      expect(cached.body).toEqual(uncached.body);
      expect(cached.headers.etag).toBeUndefined();
      const admin = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('admin'));
      expect(admin.status).toBe(200);
    });

    it('finds a job created after its id was polled as missing (the create beats the negative entry)', async () => {
      const before = await create('acme');
      const next = before.id + 1;
      const missing = await h.http().get(`/api/v2/jobs/${next}`).set(bearer('acme'));
      expect(missing.status).toBe(404);
      const created = await create('acme');
      expect(created.id).toBe(next);
      const found = await h.http().get(`/api/v2/jobs/${next}`).set(bearer('acme'));
      expect(found.status).toBe(200);
      expect(found.headers['x-cache']).toBe('HIT');
    });
  });

  describe('PATCH /api/v2/jobs/:id/progress', () => {
    it('updates, bumps version by exactly 1, and the first poll after is a HIT with the new version', async () => {
      const job = await create('acme', { scenesTotal: 10 });
      const poll0 = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme'));
      const etag0 = poll0.headers.etag;

      const res = await patch(job.id, { status: 'running', currentStage: 'render', scenesCompleted: 3 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: job.id,
        status: 'running',
        version: 2,
        progress: { currentStage: 'render', scenesCompleted: 3, scenesTotal: 10, percent: 30 },
      });
      expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(res.body.createdAt));

      const poll1 = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme'));
      expect(poll1.headers['x-cache']).toBe('HIT');
      expect(poll1.body).toEqual(res.body);
      expect(poll1.headers.etag).not.toBe(etag0);
      const revalidate = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme')).set('If-None-Match', etag0);
      expect(revalidate.status).toBe(200);

      for (let expected = 3; expected <= 6; expected++) {
        const next = await patch(job.id, { scenesCompleted: expected + 1 });
        expect(next.body.version).toBe(expected);
        const poll = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme'));
        expect(poll.headers['x-cache']).toBe('HIT');
        expect(poll.body.version).toBe(expected);
      }
    });

    it('never lets a poll that starts after an update see an older version, with pollers racing the updates', async () => {
      const job = await create('acme', { scenesTotal: 50 });
      await h.app.get(CacheService).clear();
      let stop = false;
      const seenByPollers: number[][] = [];
      const poller = async (slot: number) => {
        seenByPollers[slot] = [];
        while (!stop) {
          const res = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme'));
          expect(res.status).toBe(200);
          seenByPollers[slot].push(res.body.version as number);
        }
      };
      const pollers = [0, 1, 2, 3].map(poller);
      try {
        for (let done = 1; done <= 15; done++) {
          const updated = await patch(job.id, { scenesCompleted: done });
          expect(updated.status).toBe(200);
          const poll = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme'));
          expect(poll.body.version).toBe(updated.body.version);
          expect(poll.body.progress.scenesCompleted).toBe(done);
        }
      } finally {
        stop = true;
        await Promise.all(pollers);
      }
      // Each poller saw versions in order: a slow fill never overwrote a newer pre-warmed entry.
      for (const seen of seenByPollers) expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(seenByPollers.flat().length).toBeGreaterThan(15);
    });

    it('computes percent: floor, 100 for a completed job without scenes, else 0', async () => {
      const job = await create('acme', { scenesTotal: 3 });
      await expect(patch(job.id, { scenesCompleted: 2 }).then((r) => r.body.progress.percent)).resolves.toBe(66);
      await expect(patch(job.id, { scenesCompleted: 3 }).then((r) => r.body.progress.percent)).resolves.toBe(100);
      const empty = await create('acme');
      await expect(patch(empty.id, { status: 'running' }).then((r) => r.body.progress.percent)).resolves.toBe(0);
      await expect(patch(empty.id, { status: 'failed' }).then((r) => r.body.progress.percent)).resolves.toBe(0);
      await expect(patch(empty.id, { status: 'completed' }).then((r) => r.body.progress.percent)).resolves.toBe(100);
    });

    it('clears the stage with null', async () => {
      const job = await create('acme');
      await patch(job.id, { currentStage: 'encode' });
      const res = await patch(job.id, { currentStage: null });
      expect(res.status).toBe(200);
      expect(res.body.progress.currentStage).toBeNull();
    });

    it.each([
      [{}],
      [{ status: 'paused' }],
      [{ status: null }],
      [{ scenesCompleted: '1' }],
      [{ scenesCompleted: 1.5 }],
      [{ scenesCompleted: -1 }],
      [{ scenesCompleted: null }],
      [{ scenesTotal: true }],
      [{ currentStage: 5 }],
      [{ currentStage: 'x'.repeat(201) }],
      [{ version: 9 }],
      [{ scenesCompleted: 1, extra: 1 }],
      [{ scenesCompleted: 5 }],
      [{ scenesTotal: 1 }],
      [{ scenesCompleted: 4, scenesTotal: 3 }],
    ])('refuses %j with 400 and changes nothing', async (body) => {
      const job = await create('acme', { scenesTotal: 4 });
      await patch(job.id, { scenesCompleted: 2 });
      const res = await patch(job.id, body);
      expect(res.status).toBe(400);
      const after = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('admin'));
      expect(after.body).toMatchObject({ version: 2, status: 'queued', progress: { scenesCompleted: 2, scenesTotal: 4, currentStage: null } });
    });

    it('answers 404 for a missing job and 400 for a bad id', async () => {
      expect((await patch(987654321, { status: 'running' })).status).toBe(404);
      expect((await h.http().patch('/api/v2/jobs/1e3/progress').set(bearer('admin')).send({ status: 'running' })).status).toBe(400);
    });

    it('is for the admin only', async () => {
      const job = await create('acme');
      const res = await h.http().patch(`/api/v2/jobs/${job.id}/progress`).set(bearer('acme')).send({ status: 'running' });
      expect(res.status).toBe(403);
      const after = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme'));
      expect(after.body.version).toBe(1);
    });

    it('keeps versions gap-free under concurrent updates', async () => {
      const job = await create('acme', { scenesTotal: 100 });
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => patch(job.id, { scenesCompleted: i + 1 })));
      expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(results.map((r) => r.body.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      const poll = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme'));
      expect(poll.body.version).toBe(11);
      expect(poll.headers['x-cache']).toBe('HIT');
    });
  });

  describe('DELETE /api/v2/jobs/:id', () => {
    it('deletes (admin only): 204, then 404 for every later poll, cached before or not', async () => {
      const job = await create('acme');
      await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme'));
      expect((await h.http().delete(`/api/v2/jobs/${job.id}`).set(bearer('acme'))).status).toBe(403);
      const res = await h.http().delete(`/api/v2/jobs/${job.id}`).set(bearer('admin'));
      expect(res.status).toBe(204);
      expect(res.text ?? '').toBe('');
      for (let i = 0; i < 2; i++) expect((await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme'))).status).toBe(404);
      expect((await h.http().delete(`/api/v2/jobs/${job.id}`).set(bearer('admin'))).status).toBe(404);
      expect((await h.http().delete('/api/v2/jobs/abc').set(bearer('admin'))).status).toBe(400);
    });
  });

  describe('GET /api/v2/jobs', () => {
    it("lists only the caller's jobs, newest first, with a working cursor", async () => {
      const h2 = h;
      const mine = [];
      for (let i = 0; i < 5; i++) mine.push(await create('beta', { title: `list-${i}` }));
      const all: number[] = [];
      let cursor: string | null = null;
      do {
        const res: { status: number; body: { items: { id: number; clientId: string }[]; nextCursor: string | null } } = await h2
          .http()
          .get('/api/v2/jobs')
          .query(cursor === null ? { limit: 2 } : { limit: 2, cursor })
          .set(bearer('beta'));
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        expect(res.body.items.every((j) => j.clientId === 'beta')).toBe(true);
        all.push(...res.body.items.map((j) => j.id));
        cursor = res.body.nextCursor;
      } while (cursor !== null);
      expect(all).toEqual([...all].sort((a, b) => b - a));
      expect(all.slice(0, 5)).toEqual(mine.map((j) => j.id).reverse());
    });

    it('defaults to 20 items and returns nextCursor null at the end', async () => {
      const res = await h.http().get('/api/v2/jobs').set(bearer('beta'));
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(20);
      expect(res.body).toHaveProperty('nextCursor');
      const fresh = await h.http().get('/api/v2/jobs').query({ limit: 100 }).set(bearer('beta'));
      expect(fresh.body.nextCursor).toBeNull();
    });

    it('is never stale after one of the client\u2019s jobs changes', async () => {
      const job = await create('acme', { scenesTotal: 5 });
      const before = await h.http().get('/api/v2/jobs').query({ limit: 5 }).set(bearer('acme'));
      expect(before.body.items[0]).toMatchObject({ id: job.id, version: 1 });
      await patch(job.id, { scenesCompleted: 4 });
      const after = await h.http().get('/api/v2/jobs').query({ limit: 5 }).set(bearer('acme'));
      expect(after.body.items[0]).toMatchObject({ id: job.id, version: 2, progress: { percent: 80 } });
      const added = await create('acme');
      const withNew = await h.http().get('/api/v2/jobs').query({ limit: 5 }).set(bearer('acme'));
      expect(withNew.body.items[0].id).toBe(added.id);
      await h.http().delete(`/api/v2/jobs/${added.id}`).set(bearer('admin'));
      const withoutIt = await h.http().get('/api/v2/jobs').query({ limit: 5 }).set(bearer('acme'));
      expect(withoutIt.body.items[0].id).toBe(job.id);
    });

    it.each([
      [{ limit: '0' }],
      [{ limit: '101' }],
      [{ limit: 'abc' }],
      [{ limit: '1.5' }],
      [{ limit: '1e1' }],
      [{ limit: '-1' }],
      [{ cursor: 'not-a-cursor' }],
      [{ cursor: '*' }],
      [{ other: '1' }],
    ])('refuses %j with 400', async (query) => {
      const res = await h.http().get('/api/v2/jobs').query(query).set(bearer('acme'));
      expect(res.status).toBe(400);
    });
  });

  describe('identity', () => {
    it.each([
      ['no header', undefined],
      ['unknown token', 'Bearer nope-nope-nope-nope-nope'],
      ['a near miss of the admin token', `Bearer ${TOKENS.admin.slice(0, -1)}`],
      ['wrong scheme', `Basic ${TOKENS.admin}`],
      ['the bare token', TOKENS.admin],
    ])('answers 401 for %s', async (_label, header) => {
      const paths = ['/api/v2/jobs', '/api/v2/jobs/1', '/api/v2/cache/stats'];
      for (const path of paths) {
        const req = h.http().get(path);
        const res = await (header === undefined ? req : req.set('Authorization', header));
        expect(res.status).toBe(401);
        expect(JSON.stringify(res.body)).not.toContain(TOKENS.admin);
      }
    });

    it('keeps the stats and cache routes for the admin', async () => {
      expect((await h.http().get('/api/v2/cache/stats').set(bearer('acme'))).status).toBe(403);
      expect((await h.http().delete('/api/v2/cache').set(bearer('beta'))).status).toBe(403);
    });

    it('never logs a token', () => {
      for (const token of Object.values(TOKENS)) expect(h.logs.text).not.toContain(token);
    });
  });

  describe('cache administration', () => {
    it('reports statistics with the TTL and a hit rate in percent', async () => {
      const res = await h.http().get('/api/v2/cache/stats').set(bearer('admin'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        cacheEnabled: true,
        statistics: expect.objectContaining({
          hits: expect.any(Number),
          misses: expect.any(Number),
          errors: expect.any(Number),
          invalidations: expect.any(Number),
          hitRate: expect.any(Number),
          totalRequests: expect.any(Number),
          redisEnabled: true,
          redisAvailable: true,
          ttlSeconds: 30,
        }),
        breakdown: expect.objectContaining({ l1: expect.any(Object), l2: expect.objectContaining({ circuit: 'closed' }) }),
        message: expect.any(String),
      });
      expect(res.body.statistics.hitRate).toBeGreaterThanOrEqual(0);
      expect(res.body.statistics.hitRate).toBeLessThanOrEqual(100);
      expect(res.body.statistics.hits).toBeGreaterThan(0);
    });

    it('clears its own keys: the next poll is a MISS', async () => {
      const job = await create('acme');
      expect((await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme'))).headers['x-cache']).toBe('HIT');
      const res = await h.http().delete('/api/v2/cache').set(bearer('admin'));
      expect(res.status).toBe(200);
      expect(res.body.cleared).toBeGreaterThan(0);
      const poll = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme'));
      expect(poll.status).toBe(200);
      expect(poll.headers['x-cache']).toBe('MISS');
    });
  });

  describe('HTTP edge', () => {
    it('answers 413 for a body over 1 MB and 400 for malformed JSON', async () => {
      const big = await h
        .http()
        .post('/api/v2/jobs')
        .set(bearer('acme'))
        .set('Content-Type', 'application/json')
        .send(`{"title":"${'x'.repeat(1024 * 1024)}"}`);
      expect(big.status).toBe(413);
      const bad = await h.http().post('/api/v2/jobs').set(bearer('acme')).set('Content-Type', 'application/json').send('{"title":');
      expect(bad.status).toBe(400);
      const badPatch = await h.http().patch('/api/v2/jobs/1/progress').set(bearer('admin')).set('Content-Type', 'application/json').send('{,}');
      expect(badPatch.status).toBe(400);
    });

    it('answers 404 for an unknown route and 415 for an unsupported body type, never 5xx', async () => {
      expect((await h.http().get('/api/v2/nope').set(bearer('acme'))).status).toBe(404);
      const res = await h.http().post('/api/v2/jobs').set(bearer('acme')).set('Content-Type', 'application/xml').send('<a/>');
      expect(res.status).toBe(415);
    });
  });

  describe('GET /health', () => {
    it('is public and up with the database and Redis', async () => {
      const res = await h.http().get('/health');
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('ok');
      expect(res.body.details.database.status).toBe('up');
      expect(res.body.details.cache.status).toBe('up');
    });
  });
});
