import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { CacheService, CacheWriteRefusedError } from 'nestjs-tiered-cache';
import { CachedRepository, type CachedRepositoryCache, type CachedRepositoryOptions } from 'nestjs-tiered-cache/typeorm';
import { createDatabase, dropDatabase } from './support/app-harness.js';
import { uniquePrefix } from './support/nest-test-app.js';

@Entity({ name: 'widgets' })
class Widget {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 50 })
  name: string;

  @Column({ type: 'varchar', length: 20 })
  owner: string;

  @Column({ type: 'integer', default: 1 })
  version: number;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}

interface WidgetView {
  id: number;
  name: string;
  owner: string;
  version: number;
}

describe('CachedRepository over TypeORM (real PostgreSQL, real Redis)', () => {
  let databaseName: string;
  let dataSource: DataSource;
  let cache: CacheService;
  let widgets: CachedRepository<Widget, WidgetView>;
  const options: CachedRepositoryOptions<Widget, WidgetView> = {
    namespace: 'widget',
    versionProperty: 'version',
    toCached: (w) => ({ id: w.id, name: w.name, owner: w.owner, version: w.version }),
    ttl: (w) => (w.name.startsWith('done') ? 3600 : 30),
    negativeTtlSeconds: 5,
    invalidates: (w) => [`owner:${w.owner}`],
  };

  beforeAll(async () => {
    databaseName = await createDatabase('cached_repo');
    dataSource = new DataSource({
      type: 'postgres', url: `postgres://postgres@127.0.0.1:5432/${databaseName}`, entities: [Widget], synchronize: true, poolSize: 3,
    });
    await dataSource.initialize();
    cache = new CacheService({ redisUrl: 'redis://127.0.0.1:6379', keyPrefix: uniquePrefix('repo') });
    await cache.onModuleInit();
    widgets = new CachedRepository(dataSource.getRepository(Widget), cache, options);
  });
  afterAll(async () => {
    await cache?.clear();
    await cache?.onApplicationShutdown();
    await dataSource?.destroy();
    if (databaseName) await dropDatabase(databaseName);
  });

  const row = (id: number) => dataSource.getRepository(Widget).findOneByOrFail({ id });
  const entry = (id: number) => cache.getEntry<WidgetView>(widgets.key(id));

  it('reads through the cache: MISS from PostgreSQL, then HIT; unknown ids are negatively cached', async () => {
    const w = await dataSource.getRepository(Widget).save(Object.assign(new Widget(), { name: 'first', owner: 'acme' }));
    const miss = await widgets.findOneById(w.id);
    expect(miss).toMatchObject({ source: 'loader', version: 1, value: { name: 'first' }, key: widgets.key(w.id) });
    const hit = await widgets.findOneById(w.id);
    expect(hit?.source).toBe('l1');
    expect(await widgets.findOneById(999_999)).toBeUndefined();
    const loads = cache.getStats().loads;
    expect(await widgets.findOneById(999_999)).toBeUndefined();
    expect(cache.getStats().loads).toBe(loads);
  });

  it('insert: returns the hydrated entity and pre-warms its entry, beating a cached "not found"', async () => {
    const [{ next }] = await dataSource.query<Array<{ next: string }>>(
      `SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS next FROM widgets_id_seq`);
    const id = Number(next);
    expect(await widgets.findOneById(id)).toBeUndefined(); // now remembered as "not found"
    const inserted = await widgets.insert({ name: 'born', owner: 'acme' });
    expect(inserted).toBeInstanceOf(Widget);
    expect(inserted).toMatchObject({ id, name: 'born', owner: 'acme', version: 1 });
    expect(inserted.updatedAt).toBeInstanceOf(Date);
    // Resolved only once the entry was written: the next read is a hit, never the negative entry.
    expect(await entry(id)).toMatchObject({ version: 1, value: { name: 'born' } });
    expect((await widgets.findOneById(id))?.source).not.toBe('loader');
  });

  it('mutate: locks the current row, writes the change with version + 1, resolves once the entry holds it', async () => {
    const { id } = await widgets.insert({ name: 'second', owner: 'acme' });
    let seen: Widget | undefined;
    const updated = await widgets.mutate(id, (current) => {
      seen = current;
      return { name: `${current.name}-b`, updatedAt: () => 'now()' };
    });
    expect(seen).toMatchObject({ id, name: 'second', version: 1 });
    expect(updated).toMatchObject({ id, name: 'second-b', version: 2 });
    expect(await row(id)).toMatchObject({ name: 'second-b', version: 2 });
    expect(await entry(id)).toMatchObject({ version: 2, value: { name: 'second-b' } });
    expect(await widgets.mutate(999_998, () => ({ name: 'nobody' }))).toBeUndefined();
  });

  it('mutate: a change that throws writes nothing and leaves the cache as it was', async () => {
    const { id } = await widgets.insert({ name: 'third', owner: 'acme' });
    await expect(widgets.mutate(id, () => {
      throw new RangeError('refused by the caller');
    })).rejects.toThrow('refused by the caller');
    expect(await row(id)).toMatchObject({ name: 'third', version: 1 });
    expect(await entry(id)).toMatchObject({ version: 1, value: { name: 'third' } });
  });

  it('a write the cache refuses before COMMIT (admitWrite throws) is rolled back: neither the row nor the cache changes', async () => {
    // The refusal itself is the engine's decision (a writer cut off past its write window), tested with the
    // engine; here the repository's part: ask right before COMMIT, and roll back when refused.
    const refusing: CachedRepositoryCache = {
      key: (namespace, ...parts) => cache.key(namespace, ...parts),
      getOrLoad: (key, loader, o) => cache.getOrLoad(key, loader, o),
      set: (key, value, o) => cache.set(key, value, o),
      delete: (key, o) => cache.delete(key, o),
      invalidateTags: (tags) => cache.invalidateTags(tags),
      admitWrite: () => {
        throw new CacheWriteRefusedError('cut off from the other instances', 3);
      },
    };
    const guarded = new CachedRepository(dataSource.getRepository(Widget), refusing, options);
    const { id } = await widgets.insert({ name: 'fourth', owner: 'acme' });
    await expect(guarded.mutate(id, () => ({ name: 'never' }))).rejects.toBeInstanceOf(CacheWriteRefusedError);
    await expect(guarded.remove(id)).rejects.toMatchObject({ code: 'E_CACHE_WRITE_REFUSED', retryAfterSeconds: 3 });
    await expect(guarded.insert({ name: 'never', owner: 'acme' })).rejects.toBeInstanceOf(CacheWriteRefusedError);
    expect(await row(id)).toMatchObject({ name: 'fourth', version: 1 });
    expect(await dataSource.getRepository(Widget).findOneBy({ name: 'never' })).toBeNull();
    expect(await entry(id)).toMatchObject({ version: 1, value: { name: 'fourth' } });
    // Every connection went back to the pool (3 of them): the next writes still get one.
    await expect(Promise.all([1, 2, 3, 4].map((n) => widgets.mutate(id, () => ({ name: `fourth-${n}` }))))).resolves.toHaveLength(4);
    expect(await row(id)).toMatchObject({ version: 5 });
  });

  it('invalidates the lists the entity belongs to, and tombstones removed entities', async () => {
    const w = await widgets.insert({ name: 'fifth', owner: 'beta' });
    const list = () => widgets.findList(['owner', 'beta'], (repo) => repo.find({ where: { owner: 'beta' }, order: { id: 'ASC' } }), { tags: ['owner:beta'] });
    expect((await list()).value.map((x) => x.name)).toEqual(['fifth']);
    expect((await list()).source).toBe('l1');
    await widgets.mutate(w.id, () => ({ name: 'fifth-b' }));
    expect((await list()).value.map((x) => x.name)).toEqual(['fifth-b']);
    await widgets.insert({ name: 'sixth', owner: 'beta' });
    expect((await list()).value).toHaveLength(2);
    expect(await widgets.remove(w.id)).toMatchObject({ id: w.id, name: 'fifth-b', version: 2 });
    // The tombstone (version 3) refuses a fill carrying the deleted row's version.
    expect(await cache.set(widgets.key(w.id), { id: w.id, name: 'ghost', owner: 'beta', version: 2 }, { version: 2 })).toBe(false);
    expect(await widgets.findOneById(w.id)).toBeUndefined();
    expect((await list()).value).toHaveLength(1);
    expect(await widgets.remove(w.id)).toBeUndefined();
  });
});
