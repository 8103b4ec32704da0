// MigratingCache against real PostgreSQL (a legacy table) and real Redis: each phase, each transition
// forward and back, and the legacy store failing for real (its connections cut, then black-holed).
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { CacheEngine } from 'nestjs-tiered-cache/engine';
import { MigratingCache, PostgresLegacySource, type LegacySource, type MigrationPhase } from 'nestjs-tiered-cache/migration';
import type pg from 'pg';
import { TcpProxy } from './support/tcp-proxy.js';
import { SHARED_REDIS_URL, TEST_DATABASE_URL, createLegacyTable, testPool, uniqueSuffix } from './support/migration-fixtures.js';
import { slack } from './support/machine-load.js';

interface Doc { v: number; body: string }

const suffix = uniqueSuffix();
const table = `legacy_phases_${suffix}`;
let pool: pg.Pool;
let engine: CacheEngine;
let legacy: PostgresLegacySource;
const caches: Array<MigratingCache<Doc>> = [];

function migrating(phase: MigrationPhase, extra: Partial<ConstructorParameters<typeof MigratingCache<Doc>>[0]> = {}): MigratingCache<Doc> {
  const cache = new MigratingCache<Doc>({ cache: engine, namespace: 'doc', legacy, phase, ttl: 60, version: (d) => d.v, ...extra });
  caches.push(cache);
  return cache;
}

async function legacyRow(key: string): Promise<{ value: Doc | null; expires_at: Date | null } | undefined> {
  return (await pool.query<{ value: Doc | null; expires_at: Date | null }>(`SELECT value, expires_at FROM ${table} WHERE key = $1`, [key])).rows[0];
}

async function plantLegacy(key: string, value: Doc, expiresInSeconds: number): Promise<void> {
  await pool.query(`INSERT INTO ${table} (key, value, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`, [key, JSON.stringify(value), expiresInSeconds]);
}

/** Ours loses the key (eviction, expiry, a flushed replica): the case where a reader falls back to legacy. */
async function evictOurs(id: string): Promise<void> {
  await engine.delete(engine.key('doc', id));
}

beforeAll(async () => {
  pool = testPool();
  await createLegacyTable(pool, table);
  legacy = new PostgresLegacySource({ db: pool, table, keyColumn: 'key', valueColumn: 'value', expiresAtColumn: 'expires_at' });
  engine = new CacheEngine({ redisUrl: SHARED_REDIS_URL, keyPrefix: `mig-phases-${suffix}:`, bus: { enabled: false } });
  await engine.connect();
});

afterEach(async () => {
  await pool.query(`TRUNCATE ${table}`);
  await engine.clear();
});

afterAll(async () => {
  await engine.clear();
  await engine.close();
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.end();
});

describe('dual-write', () => {
  it('writes ours then legacy, with the legacy expiry matching the TTL', async () => {
    const cache = migrating('dual-write');
    await expect(cache.set('a', { v: 1, body: 'one' })).resolves.toBe(true);
    await expect(engine.get(engine.key('doc', 'a'))).resolves.toEqual({ v: 1, body: 'one' });
    const row = await legacyRow('a');
    expect(row?.value).toEqual({ v: 1, body: 'one' });
    expect(row!.expires_at!.getTime() - Date.now()).toBeGreaterThan(55_000);
    expect(row!.expires_at!.getTime() - Date.now()).toBeLessThanOrEqual(60_000);
  });

  it('reads ours first, then legacy, promoting a legacy hit with its remaining TTL', async () => {
    const cache = migrating('dual-write');
    await plantLegacy('b', { v: 3, body: 'legacy' }, 40);
    await expect(cache.getEntry('b')).resolves.toMatchObject({ value: { v: 3, body: 'legacy' }, origin: 'legacy' });
    const ttl = await engine.ttl(engine.key('doc', 'b'));
    expect(ttl).toBeGreaterThanOrEqual(38);
    expect(ttl).toBeLessThanOrEqual(41);
    await expect(cache.getEntry('b')).resolves.toMatchObject({ origin: 'ours' });
    expect(cache.getStats()).toMatchObject({ reads: { ours: 1, legacy: 1, misses: 0 }, promotions: 1, hitRate: { ours: 50, legacy: 50, miss: 0 } });
  });

  it('treats an expired legacy entry as a miss and loads through to both stores', async () => {
    const cache = migrating('dual-write');
    await plantLegacy('c', { v: 1, body: 'old' }, -5);
    const loaded = await cache.getOrLoad('c', async () => ({ v: 2, body: 'db' }));
    expect(loaded).toMatchObject({ value: { v: 2, body: 'db' }, origin: 'loader' });
    expect((await legacyRow('c'))?.value).toEqual({ v: 2, body: 'db' });
    expect(cache.getStats()).toMatchObject({ legacyExpired: 1, reads: { misses: 1 }, legacyWrites: 1 });
  });

  it('never promotes a legacy value older than what ours holds', async () => {
    const cache = migrating('dual-write');
    await engine.delete(engine.key('doc', 'd'), { version: 5 }); // a tombstone of version 5 (a delete after an update)
    await plantLegacy('d', { v: 4, body: 'older' }, 60);
    await expect(cache.get('d')).resolves.toBeUndefined();
    expect(cache.getStats()).toMatchObject({ promotionsRefused: 1, reads: { misses: 1 } });
  });

  it('deletes from both stores', async () => {
    const cache = migrating('dual-write');
    await cache.set('e', { v: 1, body: 'x' });
    await cache.delete('e');
    await expect(engine.get(engine.key('doc', 'e'))).resolves.toBeUndefined();
    await expect(legacyRow('e')).resolves.toBeUndefined();
  });
});

describe('primary', () => {
  it('serves ours, reads legacy only on a miss, and never writes a value to legacy', async () => {
    const cache = migrating('primary');
    await plantLegacy('p', { v: 1, body: 'legacy' }, 60);
    await expect(cache.getEntry('p')).resolves.toMatchObject({ value: { v: 1, body: 'legacy' }, origin: 'legacy' });
    const loaded = await cache.getOrLoad('q', async () => ({ v: 1, body: 'db' }));
    expect(loaded.origin).toBe('loader');
    await expect(legacyRow('q')).resolves.toBeUndefined();
    await cache.set('r', { v: 1, body: 'new' });
    await expect(legacyRow('r')).resolves.toBeUndefined();
  });

  it('deletes the legacy copy on every write and delete, so legacy never holds a superseded value', async () => {
    await migrating('dual-write').set('s', { v: 1, body: 'first' });
    const cache = migrating('primary');
    await cache.set('s', { v: 2, body: 'second' });
    await expect(legacyRow('s')).resolves.toBeUndefined();
    await plantLegacy('t', { v: 1, body: 't' }, 60);
    await cache.delete('t');
    await expect(legacyRow('t')).resolves.toBeUndefined();
    expect(cache.getStats().legacyDeletes).toBe(2);
  });
});

describe('only', () => {
  it('neither reads legacy nor writes values to it, but keeps deleting superseded copies', async () => {
    await plantLegacy('o', { v: 1, body: 'legacy' }, 60);
    const cache = migrating('only');
    await expect(cache.get('o')).resolves.toBeUndefined();
    await expect(cache.getOrLoad('o', async () => ({ v: 2, body: 'db' }))).resolves.toMatchObject({ origin: 'loader' });
    await expect(legacyRow('o')).resolves.toMatchObject({ value: { v: 1, body: 'legacy' } });
    await cache.set('o', { v: 3, body: 'new' });
    await expect(legacyRow('o')).resolves.toBeUndefined();
  });

  it('with invalidateLegacyInOnly: false, leaves legacy completely untouched', async () => {
    await plantLegacy('u', { v: 1, body: 'legacy' }, 60);
    const cache = migrating('only', { invalidateLegacyInOnly: false });
    await cache.set('u', { v: 2, body: 'new' });
    await cache.delete('w');
    await expect(legacyRow('u')).resolves.toMatchObject({ value: { v: 1, body: 'legacy' } });
    expect(cache.getStats()).toMatchObject({ legacyWrites: 0, legacyDeletes: 0 });
  });
});

describe('transitions', () => {
  it('dual-write → primary: what dual-write wrote is served, from ours and (ours lost) from legacy', async () => {
    const cache = migrating('dual-write');
    await cache.set('f1', { v: 1, body: 'dw' });
    cache.setPhase('primary');
    await expect(cache.getEntry('f1')).resolves.toMatchObject({ value: { v: 1 }, origin: 'ours' });
    await evictOurs('f1');
    await expect(cache.getEntry('f1')).resolves.toMatchObject({ value: { v: 1 }, origin: 'legacy' });
  });

  it('primary → dual-write (back): a value written in primary is never lost to an older legacy copy', async () => {
    const cache = migrating('dual-write');
    await cache.set('b1', { v: 1, body: 'old' });
    cache.setPhase('primary');
    await cache.set('b1', { v: 2, body: 'new' });
    cache.setPhase('dual-write');
    await expect(cache.get('b1')).resolves.toEqual({ v: 2, body: 'new' });
    await evictOurs('b1');
    const reloaded = await cache.getOrLoad('b1', async () => ({ v: 2, body: 'new' }));
    expect(reloaded).toMatchObject({ value: { v: 2 }, origin: 'loader' });
  });

  it('primary → only → primary (back): a value written in only is never shadowed by legacy', async () => {
    const cache = migrating('primary');
    await plantLegacy('b2', { v: 1, body: 'legacy' }, 60);
    await expect(cache.get('b2')).resolves.toMatchObject({ v: 1 });
    cache.setPhase('only');
    await cache.set('b2', { v: 2, body: 'only' });
    cache.setPhase('primary');
    await expect(cache.get('b2')).resolves.toEqual({ v: 2, body: 'only' });
    await evictOurs('b2');
    await expect(cache.get('b2')).resolves.toBeUndefined();
  });

  it('rolling switch: a dual-write legacy write landing after a primary instance\'s delete is retracted', async () => {
    // Instance A (still dual-write) writes v1; its legacy write is held back until instance B (already
    // primary) has written v2 to ours and deleted the legacy copy. Then A's late write lands.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let setStarted!: () => void;
    const started = new Promise<void>((resolve) => { setStarted = resolve; });
    const slowLegacy: LegacySource = {
      description: 'held-back',
      get: (key) => legacy.get(key),
      delete: (key) => legacy.delete(key),
      set: async (key, value, expiresAt) => {
        setStarted();
        await gate;
        await legacy.set(key, value, expiresAt);
      },
    };
    const a = migrating('dual-write', { legacy: slowLegacy, legacyTimeoutMs: 5000 });
    const b = migrating('primary');
    const aWrite = a.set('r1', { v: 1, body: 'a' });
    await started;
    await b.set('r1', { v: 2, body: 'b' });
    release();
    await expect(aWrite).resolves.toBe(true);
    // The late v1 did not survive in legacy, so losing ours serves nothing rather than v1.
    await expect(legacyRow('r1')).resolves.toBeUndefined();
    expect(a.getStats().legacyWritesRetracted).toBe(1);
    await evictOurs('r1');
    await expect(b.get('r1')).resolves.toBeUndefined();
  });

  it('a phase from configuration is read on every call (no code change, no restart)', async () => {
    let configured: MigrationPhase = 'dual-write';
    const cache = migrating('dual-write', { phase: () => configured });
    await cache.set('cfg', { v: 1, body: 'a' });
    expect((await legacyRow('cfg'))?.value).toEqual({ v: 1, body: 'a' });
    configured = 'primary';
    await cache.set('cfg', { v: 2, body: 'b' });
    await expect(legacyRow('cfg')).resolves.toBeUndefined();
    expect(cache.getStats().phase).toBe('primary');
  });

  it('a random walk of writes, deletes, evictions and phase steps never reads an older value', async () => {
    // Deterministic pseudo-random sequence (no flake), 600 operations on 3 keys, without versions so
    // that the phase rules alone must keep the invariant.
    let seed = 0x2f6e2b1;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (seed >>> 16) % n;
    };
    const phases: MigrationPhase[] = ['dual-write', 'primary', 'only'];
    let at = 0;
    const cache = migrating('dual-write', { version: undefined });
    const latest = new Map<string, number | undefined>();
    let counter = 0;
    let reads = 0;
    const setsIn: Record<MigrationPhase, number> = { 'dual-write': 0, primary: 0, only: 0 };
    for (let i = 0; i < 600; i += 1) {
      const id = `k${rnd(3)}`;
      const op = rnd(20);
      if (op < 5) {
        counter += 1;
        await cache.set(id, { v: counter, body: 'w' });
        latest.set(id, counter);
        setsIn[phases[at]] += 1;
      } else if (op < 6) {
        await cache.delete(id);
        latest.set(id, undefined);
      } else if (op < 10) {
        await evictOurs(id);
      } else if (op < 13) {
        at = Math.max(0, Math.min(2, at + (rnd(2) === 0 ? -1 : 1)));
        cache.setPhase(phases[at]);
      } else {
        const got = await cache.get(id);
        reads += 1;
        if (got !== undefined) expect(got.v).toBe(latest.get(id));
      }
    }
    // The walk visited every phase with writes, and legacy answered reads along the way.
    expect(Math.min(...Object.values(setsIn))).toBeGreaterThan(20);
    expect(cache.getStats().reads.legacy).toBeGreaterThan(10);
    expect(reads).toBeGreaterThan(100);
  });
});

describe('the legacy store failing', () => {
  let proxy: TcpProxy;
  let faultyPool: pg.Pool;
  let faulty: PostgresLegacySource;

  beforeAll(async () => {
    proxy = await TcpProxy.start(5432);
    faultyPool = testPool(TEST_DATABASE_URL.replace(':5432/', `:${proxy.port}/`), 2);
    faultyPool.on('error', () => undefined); // idle clients dropped by the proxy: the next query reconnects
    faulty = new PostgresLegacySource({ db: faultyPool, table, keyColumn: 'key', valueColumn: 'value', expiresAtColumn: 'expires_at' });
  });

  afterAll(async () => {
    proxy.heal();
    await faultyPool.end();
    await proxy.stop();
  });

  afterEach(() => proxy.heal());

  it('reads fall through as misses, writes are counted and never lost from ours, suspects skip legacy', async () => {
    await plantLegacy('x', { v: 1, body: 'legacy' }, 60);
    const cache = migrating('dual-write', { legacy: faulty, legacyTimeoutMs: 300, legacyCircuit: { failureThreshold: 100 } });
    proxy.cut(true);
    await expect(cache.get('x')).resolves.toBeUndefined();
    await expect(cache.getOrLoad('y', async () => ({ v: 1, body: 'db' }))).resolves.toMatchObject({ origin: 'loader' });
    await expect(cache.set('x', { v: 2, body: 'new' })).resolves.toBe(true);
    await expect(engine.get(engine.key('doc', 'x'))).resolves.toEqual({ v: 2, body: 'new' });
    const stats = cache.getStats();
    expect(stats.legacyErrors.get).toBeGreaterThanOrEqual(1);
    expect(stats.legacyErrors.set).toBe(2);
    expect(stats.suspectKeys).toBe(2);

    // Legacy is back, still holding v1 for x: x is suspect, so a reader that lost ours does not get v1,
    // and the read repairs legacy with the delete that failed.
    proxy.heal();
    await evictOurs('x');
    await expect(cache.get('x')).resolves.toBeUndefined();
    await expect(legacyRow('x')).resolves.toBeUndefined();
    expect(cache.getStats().suspectKeys).toBe(1);
  });

  it('a black-holed legacy store costs at most the time bound, then nothing while its circuit is open', async () => {
    const cache = migrating('primary', { legacy: faulty, legacyTimeoutMs: 200, legacyCircuit: { failureThreshold: 2, cooldownMs: 60_000 } });
    await expect(cache.get('warm')).resolves.toBeUndefined(); // opens a connection through the proxy
    proxy.setMode('blackhole');
    const t0 = Date.now();
    await expect(cache.get('z1')).resolves.toBeUndefined();
    await expect(cache.get('z2')).resolves.toBeUndefined();
    const bounded = Date.now() - t0;
    const t1 = Date.now();
    await expect(cache.get('z3')).resolves.toBeUndefined();
    expect(bounded).toBeLessThan(1_000);
    expect(Date.now() - t1).toBeLessThan(slack(50));
    expect(cache.getStats()).toMatchObject({ legacyCircuit: 'open', legacyErrors: { get: 3 } });
    proxy.cut(); // release the black-holed sockets so the pool can close
  });
});
