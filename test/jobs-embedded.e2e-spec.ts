import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataDirLockedError } from '../apps/jobs-api/src/database/data-dir-lock.js';
import { type AppHarness, startApp } from './support/app-harness.js';

/**
 * The zero-configuration default: no DATABASE_URL, no REDIS_URL → embedded PostgreSQL (PGlite over the wire
 * protocol) under the data folder, and the in-process cache. A fresh PGlite folder takes seconds to start.
 */
describe('jobs API on embedded defaults', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'jobs-embedded-'));
  let h: AppHarness | undefined;
  const boot = () => startApp({ database: 'embedded', redisUrl: null, auth: false, env: { DATA_DIR: dataDir } });

  beforeAll(async () => {
    h = await boot();
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('says which backends are in use', () => {
    expect(h!.logs.text).toContain(`embedded PostgreSQL (PGlite) at ${join(dataDir, 'pglite')}`);
    expect(h!.logs.text).toContain('in-process memory only');
  });

  it('creates, updates and polls a job', async () => {
    const created = await h!.http().post('/api/v2/jobs').send({ title: 'embedded', scenesTotal: 4 });
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    const updated = await h!.http().patch(`/api/v2/jobs/${id}/progress`).send({ status: 'running', scenesCompleted: 1 });
    expect(updated.body).toMatchObject({ version: 2, progress: { percent: 25 } });
    const polled = await h!.http().get(`/api/v2/jobs/${id}`);
    expect(polled.status).toBe(200);
    expect(polled.headers['x-cache']).toBe('HIT');
    expect(polled.body.version).toBe(2);
    const invalid = await h!.http().patch(`/api/v2/jobs/${id}/progress`).send({ scenesCompleted: 5 });
    expect(invalid.status).toBe(400);
    expect((await h!.http().get('/health')).status).toBe(200);
  });

  it('refuses a second instance on the same data folder', async () => {
    await expect(boot()).rejects.toBeInstanceOf(DataDirLockedError);
  });

  it('releases the folder on shutdown and keeps the data across restarts', async () => {
    await h!.close();
    expect(existsSync(join(dataDir, 'jobs-api.lock'))).toBe(false);
    h = await boot();
    const list = await h.http().get('/api/v2/jobs');
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([expect.objectContaining({ title: 'embedded', version: 2 })]);
  }, 30_000);
});
