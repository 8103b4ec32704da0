// Issue 7's demonstration through the real jobs API: job progress cached by a legacy app in the
// `job_progress_cache` column, moved to our tiers by CACHE_MIGRATION_PHASES alone, one instance at a time
// (a rolling restart), through dual-write → primary → only and back to primary, while a worker PATCHes
// progress and pollers GET the jobs. No poll may fail or be stale: each returns at least the version
// acknowledged to the worker before the poll started.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDatabase, deleteRedisKeys, dropDatabase, PG_ADMIN_URL, SHARED_REDIS_URL } from './support/app-harness.js';
import { sleep } from './support/http-load.js';
import { sql } from './support/jobs-db.js';
import { auth, type ListeningApp, startListeningApp } from './support/listening-app.js';

type Phase = 'dual-write' | 'primary' | 'only';
interface Slot { name: string; app?: ListeningApp; inflight: number; lastLegacyReads: number }

const JOBS = 40;
let databaseName: string;
let databaseUrl: string;
let prefix: string;
let ids: number[] = [];
const slots: Slot[] = [{ name: 'A', inflight: 0, lastLegacyReads: 0 }, { name: 'B', inflight: 0, lastLegacyReads: 0 }];

/** A legacy app's entry: the job as the API returns it (`JobResponse`), expiring in 60 s. */
const LEGACY_ENTRY = `jsonb_build_object('id', id, 'clientId', client_id, 'title', title, 'status', status,
  'progress', jsonb_build_object('currentStage', current_stage, 'scenesCompleted', scenes_completed, 'scenesTotal', scenes_total,
    'percent', CASE WHEN scenes_total > 0 THEN (100 * scenes_completed) / scenes_total ELSE 0 END),
  'version', version,
  'createdAt', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'updatedAt', to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`;

async function boot(slot: Slot, phase: Phase): Promise<void> {
  // An explicit Redis URL: closing one instance must not wipe the keys the other one is serving from.
  slot.app = await startListeningApp({
    redisUrl: SHARED_REDIS_URL, database: { url: databaseUrl },
    env: { CACHE_PREFIX: prefix, CACHE_MIGRATION_PHASES: `job=${phase}`, CACHE_TTL_SECONDS: '30' },
  });
  slot.lastLegacyReads = 0;
}

/** Takes the instance out of rotation, lets its requests finish, closes it. */
async function shutDown(slot: Slot): Promise<number> {
  const app = slot.app;
  if (!app) return 0;
  slot.app = undefined;
  while (slot.inflight > 0) await sleep(5);
  const legacy = await legacyReadsSinceLastLook(slot, app);
  await app.close();
  return legacy;
}

/** One counter of the instance's `GET /metrics`. */
async function metric(app: ListeningApp, name: string, labels: string): Promise<number> {
  const answer = await app.client.send('GET', '/metrics', { timeoutMs: 5_000 });
  expect(answer.status).toBe(200);
  const line = answer.body.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function legacyReadsSinceLastLook(slot: Slot, app = slot.app): Promise<number> {
  if (!app) return 0;
  const total = await metric(app, 'redis_cache_migration_reads_total', 'namespace="job",source="legacy"');
  const delta = total - slot.lastLegacyReads;
  slot.lastLegacyReads = total;
  return delta;
}

beforeAll(async () => {
  databaseName = await createDatabase('jobs_legacy_mig');
  databaseUrl = PG_ADMIN_URL.replace(/\/postgres$/, `/${databaseName}`);
  prefix = `jobs-legacy-mig-${databaseName.slice(-10)}:`;
  await boot(slots[0], 'dual-write'); // runs the migrations: jobs + the job_progress_cache columns
  const rows = await sql<{ id: string }>(databaseUrl,
    `INSERT INTO jobs (client_id, title, scenes_total) SELECT 'acme', 'legacy job ' || g, 100 FROM generate_series(1, ${JOBS}) g RETURNING id`);
  ids = rows.map((r) => Number(r.id));
  await sql(databaseUrl, `UPDATE jobs SET job_progress_cache = ${LEGACY_ENTRY}, job_progress_cache_expires_at = now() + interval '60 seconds'`);
  await boot(slots[1], 'dual-write');
}, 60_000);

afterAll(async () => {
  for (const slot of slots) await shutDown(slot);
  if (prefix) await deleteRedisKeys(SHARED_REDIS_URL, prefix);
  if (databaseName) await dropDatabase(databaseName);
}, 60_000);

describe('jobs API: the job namespace off the job_progress_cache column, phase by phase', () => {
  it('walks dual-write → primary → only → primary across a rolling restart with no failed or stale poll', async () => {
    const committed = new Map<number, number>();
    const failures: string[] = [];
    const stale: string[] = [];
    let stage = 0;
    let running = true;
    const pick = (): Slot | undefined => {
      const up = slots.filter((s) => s.app !== undefined);
      return up[Math.floor(Math.random() * up.length)];
    };
    const send = async (method: string, path: string, who: 'admin' | 'acme', body?: unknown) => {
      const slot = pick();
      if (!slot?.app) return undefined;
      slot.inflight += 1;
      try {
        return await slot.app.client.send(method, path, { headers: auth(who), body, timeoutMs: 5_000 });
      } finally {
        slot.inflight -= 1;
      }
    };
    const worker = async (): Promise<void> => {
      while (running) {
        const id = ids[Math.floor(Math.random() * ids.length)];
        const answer = await send('PATCH', `/api/v2/jobs/${id}/progress`, 'admin', { currentStage: `stage-${++stage}` });
        if (answer === undefined) continue;
        if (answer.status !== 200) {
          failures.push(`PATCH ${id}: ${answer.status} ${answer.body.slice(0, 120)}`);
          continue;
        }
        const { version } = JSON.parse(answer.body) as { version: number };
        committed.set(id, Math.max(committed.get(id) ?? 1, version));
      }
    };
    const polls: Record<string, number> = {};
    let step = 'dual-write';
    const poller = async (): Promise<void> => {
      while (running) {
        const id = ids[Math.floor(Math.random() * ids.length)];
        const floor = committed.get(id) ?? 1;
        const answer = await send('GET', `/api/v2/jobs/${id}`, 'acme');
        if (answer === undefined) continue;
        polls[step] = (polls[step] ?? 0) + 1;
        if (answer.status !== 200) failures.push(`${step}: GET ${id}: ${answer.status} ${answer.body.slice(0, 120)}`);
        else {
          const served = (JSON.parse(answer.body) as { version: number }).version;
          if (served < floor) stale.push(`${step}: job ${id} v${served} < v${floor} (X-Cache ${String(answer.headers['x-cache'])})`);
        }
      }
    };
    const load = Promise.all([worker(), poller(), poller(), poller()]);
    const legacyReads: Record<string, number> = {};
    const countLegacy = async (name: string, closed = 0) => {
      let n = closed;
      for (const slot of slots) n += await legacyReadsSinceLastLook(slot);
      legacyReads[name] = (legacyReads[name] ?? 0) + n;
    };
    const restart = async (slot: Slot, phase: Phase, name: string) => {
      const closed = await shutDown(slot);
      await countLegacy(step, closed);
      step = name;
      await boot(slot, phase);
    };
    /** Ours loses every entry (a failover to an empty replica): readers fall back to the column. */
    const dropOurs = () => deleteRedisKeys(SHARED_REDIS_URL, prefix);

    /** Lets the current step run for `ms` and until it has seen 40 polls (a loaded machine polls slower). */
    const stepRuns = async (ms: number): Promise<void> => {
      await sleep(ms);
      for (const until = Date.now() + 15_000; (polls[step] ?? 0) < 40 && Date.now() < until;) await sleep(50);
    };

    try {
      await stepRuns(700);
      await restart(slots[1], 'primary', 'rolling to primary');
      await stepRuns(500);
      await restart(slots[0], 'primary', 'primary');
      await dropOurs();
      await stepRuns(500);
      await restart(slots[1], 'only', 'rolling to only');
      await stepRuns(500);
      await restart(slots[0], 'only', 'only');
      await dropOurs();
      await stepRuns(500);
      await countLegacy(step);
      await restart(slots[0], 'primary', 'back: rolling to primary');
      await stepRuns(500);
      await restart(slots[1], 'primary', 'back: primary');
      await dropOurs();
      await stepRuns(700);
      await countLegacy(step);
    } finally {
      running = false;
      await load;
    }

    expect(failures).toEqual([]);
    expect(stale).toEqual([]);
    for (const name of ['dual-write', 'rolling to primary', 'primary', 'rolling to only', 'only', 'back: rolling to primary', 'back: primary']) {
      expect(polls[name] ?? 0).toBeGreaterThan(20);
    }
    expect(committed.size).toBeGreaterThan(10);
    // The column answered while it held the legacy app's entries, and never once in `only`.
    expect(legacyReads['dual-write']).toBeGreaterThan(0);
    expect(legacyReads.only).toBe(0);
    for (const slot of slots) {
      expect(await metric(slot.app!, 'redis_cache_migration_phase', 'namespace="job",phase="primary"')).toBe(1);
      for (const operation of ['get', 'set', 'delete']) {
        expect(await metric(slot.app!, 'redis_cache_migration_legacy_errors_total', `namespace="job",operation="${operation}"`)).toBe(0);
      }
    }
    process.stdout.write(`legacy migration demo: polls per step ${JSON.stringify(polls)}; legacy reads ${JSON.stringify(legacyReads)}; updates ${stage}\n`);
  }, 120_000);

  it('leaves no legacy entry older than the row it caches, so stepping back to dual-write is safe', async () => {
    const rows = await sql<{ n: number }>(databaseUrl,
      `SELECT count(*)::int AS n FROM jobs WHERE job_progress_cache IS NOT NULL AND (job_progress_cache->>'version')::int < version`);
    expect(rows[0].n).toBe(0);
  });
});
