// The demonstration: job progress cached in the legacy `job_progress_cache` column of `jobs` (created by the
// app's real migrations, in a schema of its own), moved to our tiers through all three phases and back,
// with a rolling switch between two instances, while writers update jobs and pollers poll them. No poll
// may fail or be stale: each returns at least the version committed (and cached) before it started.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CacheEngine } from 'nestjs-tiered-cache/engine';
import { MigratingCache, type MigrationPhase } from 'nestjs-tiered-cache/migration';
import pg from 'pg';
import type { QueryRunner } from 'typeorm';
import { CreateJobs1767225600000 } from '../apps/jobs-api/src/database/migrations/1767225600000-create-jobs.migration.js';
import { AddJobProgressCache1767312000000 } from '../apps/jobs-api/src/legacy-cache/1767312000000-add-job-progress-cache.migration.js';
import { jobProgressMigration } from '../apps/jobs-api/src/legacy-cache/job-progress-migration.factory.js';
import { SHARED_REDIS_URL, TEST_DATABASE_URL, uniqueSuffix } from './support/migration-fixtures.js';

interface Job { id: number; status: string; scenesCompleted: number; scenesTotal: number; version: number }
interface JobRow { id: string; status: string; scenes_completed: number; scenes_total: number; version: number }

const JOBS = 120;
const suffix = uniqueSuffix();
const schema = `mig_demo_${suffix}`;
const prefix = `mig-demo-${suffix}:`;
let admin: pg.Pool;
let pool: pg.Pool;
const instances: Array<{ engine: CacheEngine; cache: MigratingCache<Job>; phase: MigrationPhase }> = [];
const committed = new Map<number, number>();

const toJob = (r: JobRow): Job => ({ id: Number(r.id), status: r.status, scenesCompleted: r.scenes_completed, scenesTotal: r.scenes_total, version: r.version });

async function loadJob(id: number): Promise<Job | undefined> {
  const { rows } = await pool.query<JobRow>('SELECT id, status, scenes_completed, scenes_total, version FROM jobs WHERE id = $1', [id]);
  return rows[0] ? toJob(rows[0]) : undefined;
}

/** What the jobs service does on PATCH: commit the update, then pre-warm the cache with the new version. */
async function advance(id: number, through: MigratingCache<Job>): Promise<void> {
  const { rows } = await pool.query<JobRow>(
    `UPDATE jobs SET scenes_completed = LEAST(scenes_total, scenes_completed + 1), status = 'running', version = version + 1, updated_at = now()
     WHERE id = $1 RETURNING id, status, scenes_completed, scenes_total, version`, [id]);
  const job = toJob(rows[0]);
  await through.set(String(id), job, { version: job.version });
  committed.set(id, Math.max(committed.get(id) ?? 0, job.version));
}

beforeAll(async () => {
  admin = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 8, options: `-c search_path=${schema}`, query_timeout: 10_000 });
  const runner = { query: (text: string) => pool.query(text) } as unknown as QueryRunner;
  await new CreateJobs1767225600000().up(runner);
  await new AddJobProgressCache1767312000000().up(runner);
  await pool.query(`INSERT INTO jobs (client_id, title, scenes_total) SELECT 'c1', 'job ' || g, 1000 FROM generate_series(1, ${JOBS}) g`);
  // The legacy app had cached every job's progress in the column, for 60 s.
  await pool.query(`UPDATE jobs SET job_progress_cache = jsonb_build_object('id', id, 'status', status, 'scenesCompleted', scenes_completed,
    'scenesTotal', scenes_total, 'version', version), job_progress_cache_expires_at = now() + interval '60 seconds'`);
  for (let i = 0; i < 2; i += 1) {
    // Two app instances on one Redis. L1 off: cross-instance L1 coherence is the engine's own suite's subject.
    const engine = new CacheEngine({ redisUrl: SHARED_REDIS_URL, keyPrefix: prefix, l1: { enabled: false }, bus: { enabled: false } });
    await engine.connect();
    const instance = { engine, phase: 'dual-write' as MigrationPhase, cache: undefined as unknown as MigratingCache<Job> };
    // The options the jobs API gives the cache module for the `job` namespace, on this instance's engine.
    instance.cache = new MigratingCache<Job>({ ...jobProgressMigration<Job>(pool, { phase: () => instance.phase, ttlSeconds: 30 }), cache: engine, namespace: 'job' });
    instances.push(instance);
  }
});

afterAll(async () => {
  await instances[0]?.engine.clear();
  for (const { engine } of instances) await engine.close();
  await pool.end();
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
});

describe('job progress: from the job_progress_cache column to our tiers, and back', () => {
  it('walks dual-write → primary → only → primary → dual-write with no failed or stale poll', async () => {
    const steps: Array<{ name: string; phases: [MigrationPhase, MigrationPhase]; oursLost?: boolean }> = [
      { name: 'dual-write', phases: ['dual-write', 'dual-write'] },
      { name: 'rolling to primary', phases: ['primary', 'dual-write'] },
      { name: 'primary', phases: ['primary', 'primary'], oursLost: true },
      { name: 'rolling to only', phases: ['only', 'primary'] },
      { name: 'only', phases: ['only', 'only'] },
      { name: 'back: rolling to primary', phases: ['primary', 'only'] },
      { name: 'back: primary', phases: ['primary', 'primary'], oursLost: true },
      { name: 'back: dual-write', phases: ['dual-write', 'dual-write'], oursLost: true },
    ];
    const failures: string[] = [];
    const stale: string[] = [];
    const pollsByStep: Record<string, number> = {};
    const legacyReadsByStep: Record<string, number> = {};
    const legacyReads = (): number => instances.reduce((n, i) => n + i.cache.getStats().reads.legacy, 0);
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (seed >>> 16) % n;
    };

    for (const step of steps) {
      instances[0].phase = step.phases[0];
      instances[1].phase = step.phases[1];
      // Ours loses every entry (a Redis failover to an empty replica, an eviction storm): the step where
      // readers fall back to the legacy column, so an older value there would show.
      if (step.oursLost) await instances[0].engine.clear();
      const before = legacyReads();
      let polls = 0;
      // Each step lasts 600 ms and at least 100 polls (at most 15 s): on a starved machine one Redis timeout
      // makes a writer wait out a lease while every instance reads PostgreSQL, and the step must still see
      // enough traffic to mean something.
      const started = Date.now();
      const going = (): boolean => Date.now() - started < 15_000 && (Date.now() - started < 600 || polls < 100);
      const writer = async (): Promise<void> => {
        while (going()) await advance(1 + rnd(JOBS), instances[rnd(2)].cache);
      };
      const poller = async (): Promise<void> => {
        while (going()) {
          const id = 1 + rnd(JOBS);
          const floor = committed.get(id) ?? 1;
          try {
            const { value } = await instances[rnd(2)].cache.getOrLoad(String(id), () => loadJob(id));
            polls += 1;
            if (!value || value.version < floor) stale.push(`${step.name}: job ${id} v${value?.version} < v${floor}`);
          } catch (error) {
            failures.push(`${step.name}: ${(error as Error).message}`);
          }
        }
      };
      await Promise.all([writer(), writer(), poller(), poller(), poller(), poller()]);
      pollsByStep[step.name] = polls;
      legacyReadsByStep[step.name] = legacyReads() - before;
    }

    expect(failures).toEqual([]);
    expect(stale).toEqual([]);
    for (const polls of Object.values(pollsByStep)) expect(polls).toBeGreaterThanOrEqual(100);
    // Legacy mattered at first, then stopped mattering; in `only` it was never read.
    expect(legacyReadsByStep['dual-write']).toBeGreaterThan(10);
    expect(legacyReadsByStep.only).toBe(0);
    for (const { cache } of instances) expect(cache.getStats().legacyErrors).toEqual({ get: 0, set: 0, delete: 0 });
    process.stdout.write(`demo polls per step ${JSON.stringify(pollsByStep)}; legacy reads ${JSON.stringify(legacyReadsByStep)}\n`);
  });

  it('after the walk, no legacy column holds a version older than the row it caches', async () => {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM jobs WHERE job_progress_cache IS NOT NULL AND (job_progress_cache->>'version')::int < version`);
    expect(rows[0].n).toBe(0);
  });
});
