// The three ready legacy adapters against their real stores: Keyv over Redis (@keyv/redis), a cache-manager 7
// cache over it, and a PostgreSQL table (versioned writes, identifiers refused). Plus the Prometheus metrics.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CacheEngine } from 'nestjs-tiered-cache/engine';
import { CacheManagerLegacySource, KeyvLegacySource, MigratingCache, MigrationConfigError, PostgresLegacySource,
  copyLegacyEntries, type LegacyBatch, type LegacySource, registerMigrationMetrics } from 'nestjs-tiered-cache/migration';
import KeyvRedis from '@keyv/redis';
import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import type pg from 'pg';
import { Registry } from 'prom-client';
import { SHARED_REDIS_URL, createLegacyTable, testPool, uniqueSuffix } from './support/migration-fixtures.js';

const suffix = uniqueSuffix();
const keyvNamespace = `mig-src-${suffix}`;
const table = `legacy_src_${suffix}`;
let keyv: Keyv;
let pool: pg.Pool;
let engine: CacheEngine;

async function walkAll(source: LegacySource, batchSize: number): Promise<LegacyBatch[]> {
  const batches: LegacyBatch[] = [];
  for await (const batch of source.entries!({ batchSize })) batches.push(batch);
  return batches;
}

beforeAll(async () => {
  keyv = new Keyv({ store: new KeyvRedis(SHARED_REDIS_URL), namespace: keyvNamespace, useKeyPrefix: true });
  pool = testPool();
  await createLegacyTable(pool, table);
  engine = new CacheEngine({ redisUrl: SHARED_REDIS_URL, keyPrefix: `mig-src-${suffix}:`, bus: { enabled: false } });
  await engine.connect();
});

afterAll(async () => {
  // Exactly the keys this file wrote (never clear(): without a namespace @keyv/redis would FLUSHDB).
  await keyv.delete(['a', 'forever', 'cm', 'cm2', ...Array.from({ length: 25 }, (_, i) => `w${i}`)]);
  await keyv.disconnect();
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.end();
  await engine.clear();
  await engine.close();
});

describe('KeyvLegacySource over @keyv/redis', () => {
  it('gets, sets with an expiry, deletes, and walks every live entry in batches', async () => {
    const source = new KeyvLegacySource(keyv, { description: 'keyv-redis' });
    const expiresAt = Date.now() + 30_000;
    await source.set('a', { n: 1 }, expiresAt);
    const got = await source.get('a');
    expect(got?.value).toEqual({ n: 1 });
    expect(Math.abs(got!.expiresAt! - expiresAt)).toBeLessThan(50);
    await source.set('forever', { n: 2 });
    await expect(source.get('forever')).resolves.toEqual({ value: { n: 2 } });
    await source.delete('a');
    await expect(source.get('a')).resolves.toBeUndefined();
    for (let i = 0; i < 25; i += 1) await source.set(`w${i}`, { i }, Date.now() + 60_000);
    const batches = await walkAll(source, 10);
    const keys = batches.flatMap((b) => b.records.map((r) => r.key)).sort();
    expect(keys).toEqual(['forever', ...Array.from({ length: 25 }, (_, i) => `w${i}`)].sort());
    expect(batches.every((b) => b.records.length <= 10)).toBe(true);
  });
});

describe('CacheManagerLegacySource over cache-manager 7', () => {
  it('reads the expiry through cache.ttl, writes and deletes through the cache, and migrates into ours', async () => {
    const cache = createCache({ stores: [keyv] });
    const source = new CacheManagerLegacySource(cache);
    await cache.set('cm', { n: 3 }, 45_000);
    const got = await source.get('cm');
    expect(got?.value).toEqual({ n: 3 });
    expect(got!.expiresAt! - Date.now()).toBeGreaterThan(40_000);
    const migrating = new MigratingCache<{ n: number }>({ cache: engine, namespace: 'cm', legacy: source, phase: 'dual-write', ttl: 60 });
    await expect(migrating.getEntry('cm')).resolves.toMatchObject({ value: { n: 3 }, origin: 'legacy' });
    const ttl = await engine.ttl(engine.key('cm', 'cm'));
    expect(ttl).toBeGreaterThan(40);
    expect(ttl).toBeLessThanOrEqual(45);
    await migrating.set('cm2', { n: 4 });
    await expect(cache.get('cm2')).resolves.toEqual({ n: 4 });
    await migrating.delete('cm2');
    await expect(cache.get('cm2')).resolves.toBeUndefined();
    const copied = await copyLegacyEntries({ source, cache: engine, namespace: 'cm', defaultTtlSeconds: 60, batchSize: 7 });
    expect(copied.status).toBe('completed');
    expect(copied.copied + copied.skippedPresent).toBe(copied.scanned);
    await expect(engine.get(engine.key('cm', 'w3'))).resolves.toEqual({ i: 3 });
  });
});

describe('PostgresLegacySource', () => {
  it('refuses identifiers that are not plain names', () => {
    expect(() => new PostgresLegacySource({ db: pool, table: 'x; DROP TABLE y', keyColumn: 'k', valueColumn: 'v' })).toThrow(MigrationConfigError);
    expect(() => new PostgresLegacySource({ db: pool, table: 'a.b.c', keyColumn: 'k', valueColumn: 'v' })).toThrow(MigrationConfigError);
    expect(() => new PostgresLegacySource({ db: pool, table: 't', keyColumn: 'k"', valueColumn: 'v' })).toThrow(MigrationConfigError);
  });

  it('with versionField, a racing older write never replaces a newer value', async () => {
    const source = new PostgresLegacySource({ db: pool, table: `public.${table}`, keyColumn: 'key', valueColumn: 'value', expiresAtColumn: 'expires_at', versionField: 'version' });
    await source.set('v', { version: 5, s: 'five' }, Date.now() + 60_000);
    await source.set('v', { version: 4, s: 'four' }, Date.now() + 60_000);
    await expect(source.get('v')).resolves.toMatchObject({ value: { version: 5, s: 'five' } });
    await source.set('v', { version: 6, s: 'six' }, Date.now() + 60_000);
    await expect(source.get('v')).resolves.toMatchObject({ value: { version: 6 } });
    await source.set('v', { s: 'unversioned' }); // a value without the field is written as given
    await expect(source.get('v')).resolves.toEqual({ value: { s: 'unversioned' } });
  });

  it('with rowVersionColumn (a cache column on its row), only the row\'s current version is written, read or walked', async () => {
    const rows = `legacy_rowver_${suffix}`;
    await pool.query(`CREATE TABLE ${rows} (id bigint PRIMARY KEY, version int NOT NULL, cache jsonb, cache_expires_at timestamptz)`);
    try {
      await pool.query(`INSERT INTO ${rows} (id, version) VALUES (1, 9), (2, 3)`);
      const source = new PostgresLegacySource({
        db: pool, table: rows, keyColumn: 'id', valueColumn: 'cache', expiresAtColumn: 'cache_expires_at', mode: 'column',
        versionField: 'v', rowVersionColumn: 'version',
      });
      await source.set('1', { v: 9, s: 'current' }, Date.now() + 60_000);
      await expect(source.get('1')).resolves.toMatchObject({ value: { v: 9, s: 'current' } });
      // The row moves on: what the column holds is no longer served, walked or counted…
      await pool.query(`UPDATE ${rows} SET version = 10 WHERE id = 1`);
      await expect(source.get('1')).resolves.toBeUndefined();
      await expect(source.count()).resolves.toBe(0);
      await expect(walkAll(source, 10)).resolves.toEqual([]);
      // …and a late write of the old version (a slow instance's) is not stored: the column keeps nothing newer than v9.
      await source.set('1', { v: 9, s: 'late' }, Date.now() + 60_000);
      expect((await pool.query(`SELECT cache FROM ${rows} WHERE id = 1`)).rows[0]).toEqual({ cache: { v: 9, s: 'current' } });
      await source.set('1', { v: 10, s: 'now' }, Date.now() + 60_000);
      await expect(source.get('1')).resolves.toMatchObject({ value: { v: 10, s: 'now' } });
      await source.set('2', { s: 'unversioned' }); // a value without the version field is never written
      await expect(source.get('2')).resolves.toBeUndefined();
      expect(() => new PostgresLegacySource({ db: pool, table: rows, keyColumn: 'id', valueColumn: 'cache', rowVersionColumn: 'version' })).toThrow(MigrationConfigError);
    } finally {
      await pool.query(`DROP TABLE ${rows}`);
    }
  });

  it('walks with keyset pagination and resumes exactly after a cursor', async () => {
    await pool.query(`INSERT INTO ${table} (key, value) SELECT 'p' || lpad(g::text, 3, '0'), jsonb_build_object('g', g) FROM generate_series(1, 30) g`);
    const source = new PostgresLegacySource({ db: pool, table, keyColumn: 'key', valueColumn: 'value' });
    const first = await walkAll(source, 12);
    const all = first.flatMap((b) => b.records.map((r) => r.key)).filter((k) => k.startsWith('p'));
    expect(all).toHaveLength(30);
    const resumed: string[] = [];
    for await (const batch of source.entries({ batchSize: 12, after: 'p012' })) resumed.push(...batch.records.map((r) => r.key));
    expect(resumed.filter((k) => k.startsWith('p'))).toEqual(all.slice(12));
  });
});

describe('registerMigrationMetrics', () => {
  it('exposes per-source reads, legacy errors and the phase, read at scrape time', async () => {
    const source = new PostgresLegacySource({ db: pool, table, keyColumn: 'key', valueColumn: 'value' });
    const migrating = new MigratingCache<unknown>({ cache: engine, namespace: 'metrics', legacy: source, phase: 'primary', ttl: 60 });
    const registry = new Registry();
    registerMigrationMetrics(registry, [migrating]);
    await migrating.get('p001'); // legacy hit
    await migrating.get('p001'); // ours
    await migrating.get('absent'); // miss
    const text = await registry.metrics();
    expect(text).toContain('redis_cache_migration_reads_total{namespace="metrics",source="legacy"} 1');
    expect(text).toContain('redis_cache_migration_reads_total{namespace="metrics",source="ours"} 1');
    expect(text).toContain('redis_cache_migration_reads_total{namespace="metrics",source="miss"} 1');
    expect(text).toContain('redis_cache_migration_phase{namespace="metrics",phase="primary"} 1');
    expect(text).toContain('redis_cache_migration_phase{namespace="metrics",phase="dual-write"} 0');
    expect(text).toContain('redis_cache_migration_legacy_errors_total{namespace="metrics",operation="get"} 0');
    migrating.setPhase('only');
    await expect(registry.metrics()).resolves.toContain('redis_cache_migration_phase{namespace="metrics",phase="only"} 1');
  });
});
