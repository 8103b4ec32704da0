import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { CachedRepository, CacheService } from '@app/redis-cache';
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

  beforeAll(async () => {
    databaseName = await createDatabase('cached_repo');
    dataSource = new DataSource({
      type: 'postgres', url: `postgres://postgres@127.0.0.1:5432/${databaseName}`, entities: [Widget], synchronize: true, poolSize: 3,
    });
    await dataSource.initialize();
    cache = new CacheService({ redisUrl: 'redis://127.0.0.1:6379', keyPrefix: uniquePrefix('repo') });
    await cache.connect();
    widgets = new CachedRepository(dataSource.getRepository(Widget), cache, {
      namespace: 'widget',
      versionProperty: 'version',
      toCached: (w) => ({ id: w.id, name: w.name, owner: w.owner, version: w.version }),
      ttl: (w) => (w.name.startsWith('done') ? 3600 : 30),
      negativeTtlSeconds: 5,
      invalidates: (w) => [`owner:${w.owner}`],
    });
  });
  afterAll(async () => {
    await cache?.clear();
    await cache?.close();
    await dataSource?.destroy();
    if (databaseName) await dropDatabase(databaseName);
  });

  const insert = (name: string, owner = 'acme') => dataSource.getRepository(Widget).save(Object.assign(new Widget(), { name, owner }));

  it('reads through the cache: MISS from PostgreSQL, then HIT; unknown ids are negatively cached', async () => {
    const w = await insert('first');
    const miss = await widgets.findOneById(w.id);
    expect(miss).toMatchObject({ source: 'loader', version: 1, value: { name: 'first' }, key: widgets.key(w.id) });
    const hit = await widgets.findOneById(w.id);
    expect(hit?.source).toBe('l1');
    expect(await widgets.findOneById(999_999)).toBeUndefined();
    await insert('late');
    const stats = cache.getStats().loads;
    expect(await widgets.findOneById(999_999)).toBeUndefined();
    expect(cache.getStats().loads).toBe(stats);
  });

  it('refreshes the entry only after the transaction commits, with the new version', async () => {
    const w = await insert('second');
    await widgets.findOneById(w.id);
    let seenInside: number | undefined;
    await dataSource.transaction(async (manager) => {
      const updated = await widgets.update(w.id, { name: 'second-b' }, { manager });
      expect(updated?.version).toBe(2);
      // Committed by nobody yet: the cache still holds version 1.
      seenInside = (await cache.getEntry<WidgetView>(widgets.key(w.id)))?.version;
    });
    expect(seenInside).toBe(1);
    const after = await widgets.findOneById(w.id);
    expect(after).toMatchObject({ version: 2, value: { name: 'second-b' } });
    expect(after?.source).not.toBe('loader');
  });

  it('leaves the cache untouched when the transaction rolls back', async () => {
    const w = await insert('third');
    await widgets.findOneById(w.id);
    await expect(dataSource.transaction(async (manager) => {
      await widgets.update(w.id, { name: 'never' }, { manager });
      throw new Error('rollback');
    })).rejects.toThrow('rollback');
    const cached = await cache.getEntry<WidgetView>(widgets.key(w.id));
    expect(cached).toMatchObject({ version: 1, value: { name: 'third' } });
    expect(await dataSource.getRepository(Widget).findOneByOrFail({ id: w.id })).toMatchObject({ name: 'third', version: 1 });
  });

  it('turns a refresh into an eviction when a savepoint rolls back inside the transaction', async () => {
    const w = await insert('fourth');
    await widgets.findOneById(w.id);
    await dataSource.transaction(async (manager) => {
      await widgets.update(w.id, { name: 'fourth-b' }, { manager });
      await expect(manager.transaction(async (inner) => {
        await widgets.update(w.id, { name: 'fourth-rolled-back' }, { manager: inner });
        throw new Error('inner');
      })).rejects.toThrow('inner');
    });
    expect(await cache.getEntry(widgets.key(w.id))).toBeUndefined();
    expect(await widgets.findOneById(w.id)).toMatchObject({ source: 'loader', value: { name: 'fourth-b', version: 2 } });
  });

  it('invalidates the lists the entity belongs to, and tombstones deleted entities', async () => {
    const w = await insert('fifth', 'beta');
    const list = () => widgets.findList(['owner', 'beta'], (repo) => repo.find({ where: { owner: 'beta' }, order: { id: 'ASC' } }), { tags: ['owner:beta'] });
    expect((await list()).value.map((x) => x.name)).toEqual(['fifth']);
    expect((await list()).source).toBe('l1');
    await widgets.update(w.id, { name: 'fifth-b' });
    expect((await list()).value.map((x) => x.name)).toEqual(['fifth-b']);
    const saved = await widgets.save(Object.assign(new Widget(), { name: 'sixth', owner: 'beta' }));
    expect((await widgets.findOneById(saved.id))?.source).not.toBe('loader');
    expect((await list()).value).toHaveLength(2);
    expect(await widgets.delete(w.id)).toBe(true);
    expect(await widgets.findOneById(w.id)).toBeUndefined();
    expect((await list()).value).toHaveLength(1);
    expect(await widgets.delete(w.id)).toBe(false);
  });
});
