import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AppHarness, bearer, startApp } from './support/app-harness.js';
import { sleep } from './support/wait.js';

/** Issue 13: `?status=` on the job list, and the per-client poll rate limit (429 + Retry-After). */
describe('jobs API status filter and poll rate limit', () => {
  let h: AppHarness;

  beforeAll(async () => {
    h = await startApp({ env: { POLL_RATE_LIMIT_PER_SECOND: '2', POLL_RATE_LIMIT_BURST: '4' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("lists a client's jobs by status, refuses an unknown status, and follows status changes", async () => {
    const ids: number[] = [];
    for (const title of ['a', 'b', 'c']) ids.push((await h.http().post('/api/v2/jobs').set(bearer('admin')).send({ title, clientId: 'beta' })).body.id);
    await h.http().patch(`/api/v2/jobs/${ids[1]}/progress`).set(bearer('admin')).send({ status: 'running' });
    const running = await h.http().get('/api/v2/jobs?status=running').set(bearer('admin'));
    expect(running.status).toBe(200);
    expect(running.body.items.map((j: { id: number }) => j.id)).toEqual([ids[1]]);
    expect((await h.http().get('/api/v2/jobs?status=queued&limit=10').set(bearer('admin'))).body.items.map((j: { id: number }) => j.id)).toEqual([ids[2], ids[0]]);
    for (const bad of ['status=bogus', 'status=', 'status=RUNNING', 'status=running&status=queued']) {
      const res = await h.http().get(`/api/v2/jobs?${bad}`).set(bearer('admin'));
      expect([bad, res.status]).toEqual([bad, 400]);
    }
    // The filtered page is cached; a status change must not leave it stale.
    await h.http().patch(`/api/v2/jobs/${ids[1]}/progress`).set(bearer('admin')).send({ status: 'completed' });
    expect((await h.http().get('/api/v2/jobs?status=running').set(bearer('admin'))).body.items).toEqual([]);
  });

  it('answers 429 with Retry-After once a client used its burst — warm polls answered before Nest included — and only that client', async () => {
    const job = (await h.http().post('/api/v2/jobs').set(bearer('admin')).send({ clientId: 'acme' })).body;
    const statuses: number[] = [];
    let refused: { headers: Record<string, string>; body: unknown } | undefined;
    for (let i = 0; i < 8; i++) {
      const res = await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme'));
      statuses.push(res.status);
      if (res.status === 429) refused ??= res;
    }
    // Burst 4 at 2/s: the quick polls after the fourth are refused (a token may drip in meanwhile).
    expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
    expect(refused?.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
    expect(refused?.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    // The warm poll (a fast-path hit) is refused too, and a refusal does not consume: the list is limited as well.
    expect((await h.http().get('/api/v2/jobs').set(bearer('acme'))).status).toBe(429);
    // Opening an event stream counts as a poll.
    const stream = await h.http().get(`/api/v2/jobs/${job.id}/events`).set(bearer('acme'));
    expect([stream.status, stream.headers['retry-after']]).toEqual([429, expect.stringMatching(/^[1-9][0-9]*$/)]);
    // Another client, the admin, and an unauthenticated caller are not charged to acme.
    expect((await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('beta'))).status).toBe(404);
    expect((await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('admin'))).status).toBe(200);
    expect((await h.http().get(`/api/v2/jobs/${job.id}`)).status).toBe(401);
    expect(h.logs.text).toMatch(/Client acme reached its poll rate limit/);
    // Tokens drip back at 2/s.
    await sleep(1_100);
    expect((await h.http().get(`/api/v2/jobs/${job.id}`).set(bearer('acme'))).status).toBe(200);
  });
});
