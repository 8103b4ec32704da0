import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigValidationError } from '../apps/jobs-api/src/config/config-validation.error.js';
import { loadConfig } from '../apps/jobs-api/src/config/load-config.js';
import { type AppHarness, startApp } from './support/app-harness.js';

function refusal(env: Record<string, string>): ConfigValidationError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('jobs API configuration', () => {
  it('refuses to start with a bad PORT, listing every problem without values', () => {
    const error = refusal({ PORT: 'eighty', CACHE_TTL_SECONDS: '-5', DATABASE_URL: 'mysql://root:hunter2-pw@db/x' });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.problems).toEqual([
      expect.stringMatching(/^PORT: /),
      expect.stringMatching(/^DATABASE_URL: /),
      expect.stringMatching(/^CACHE_TTL_SECONDS: /),
    ]);
    expect(error.message).not.toContain('hunter2-pw');
  });

  it('refuses NODE_ENV=production without authentication', () => {
    expect(refusal({ NODE_ENV: 'production', REDIS_URL: 'redis://127.0.0.1:6379' }).problems).toEqual([expect.stringContaining('ADMIN_TOKEN')]);
  });
});

describe('jobs API with auth off (local use)', () => {
  let h: AppHarness;

  beforeAll(async () => {
    h = await startApp({ auth: false, redisUrl: null });
  });
  afterAll(async () => {
    await h.close();
  });

  it('warns at start and says the cache is in-process', () => {
    expect(h.logs.lines.some((l) => l.startsWith('WARN') && l.includes('Authentication is OFF'))).toBe(true);
    expect(h.logs.text).toContain('in-process memory only');
  });

  it('treats every caller as the admin and files jobs under client "local"', async () => {
    const created = await h.http().post('/api/v2/jobs').send({ title: 'local job', scenesTotal: 2 });
    expect(created.status).toBe(201);
    expect(created.body.clientId).toBe('local');
    const forOther = await h.http().post('/api/v2/jobs').send({ clientId: 'acme' });
    expect(forOther.body.clientId).toBe('acme');

    const first = await h.http().get(`/api/v2/jobs/${created.body.id as number}`).set('Authorization', 'Bearer anything');
    expect(first.status).toBe(200);
    expect(first.headers['x-cache']).toBe('HIT');
    const patched = await h.http().patch(`/api/v2/jobs/${created.body.id as number}/progress`).send({ scenesCompleted: 1 });
    expect(patched.body.progress.percent).toBe(50);

    const stats = await h.http().get('/api/v2/cache/stats');
    expect(stats.status).toBe(200);
    expect(stats.body.statistics).toMatchObject({ redisEnabled: false, redisAvailable: false, ttlSeconds: 30 });
    const health = await h.http().get('/health');
    expect(health.status).toBe(200);
  });
});
