import { Logger } from '@nestjs/common';
import type { EntityManager, FindOptionsWhere, ObjectLiteral, QueryDeepPartialEntity, Repository } from 'typeorm';
import { CacheConfigError } from '../engine/cache.errors.js';
import type { TtlPolicy } from '../engine/cache.types.js';
import { CachedResource } from '../interceptors/cached-resource.js';
import type { CacheService } from '../nest/cache.service.js';
import { entityFromRow } from './entity-from-row.js';
import { inOwnTransaction } from './own-transaction.js';

/** Configuration of a {@link CachedRepository}. */
export interface CachedRepositoryOptions<T, V> {
  /** Namespace of the entity entries: `<namespace>:<id>` (the key a `@CacheFromEntry` route answers from). */
  namespace: string;
  /** Primary key property of the entity. Default `'id'`. */
  idProperty?: keyof T & string;
  /** What is cached: a plain-JSON view of the entity (e.g. its response DTO). Default: the entity as JSON. */
  toCached?: (entity: T) => V;
  /** The entity's version property, incremented by {@link CachedRepository.mutate}; makes every cache write set-if-newer. */
  versionProperty?: keyof T & string;
  /** TTL of an entity entry, fixed or from the cached view (e.g. by status). Default: the module's. */
  ttl?: TtlPolicy<V>;
  /** Seconds an unknown id is remembered as "not found". Default 0 (not cached). */
  negativeTtlSeconds?: number;
  /** Tags that every write of `entity` invalidates (e.g. the lists it appears in). */
  invalidates?: (entity: T) => readonly string[];
}

/** What a {@link CachedRepository} needs of the cache: `CacheService` (or a bare `CacheEngine`). */
export type CachedRepositoryCache = Pick<CacheService, 'key' | 'getOrLoad' | 'set' | 'delete' | 'invalidateTags' | 'admitWrite'>;

/** The changes {@link CachedRepository.mutate} writes: columns and values, or `() => 'SQL'` expressions. */
export type EntityChanges<T> = QueryDeepPartialEntity<T>;

/**
 * Cache-aside over a TypeORM `Repository`, owning both paths of an entity:
 *
 * - **Reads**: `findOneById` reads through the cache (one L1 probe, one L2 read — which places the fill's
 *   lease when the key holds nothing —, one query and one fill on a miss;
 *   versioned when the entity has a version property, negative-cached when asked); `findList` caches any
 *   query under tags.
 * - **Writes**: `insert`, `mutate` and `remove` each run in a transaction of their own: the SQL, then
 *   `cache.admitWrite` right before COMMIT (a write the cache cannot make safe is rolled back and rethrown,
 *   e.g. `CacheWriteRefusedError`), COMMIT, the connection back to the pool — and only then the cache work:
 *   a versioned pre-warm (or tombstone) of the entity's entry and the invalidation of its tags, awaited until
 *   every instance has them. So a write resolves once the next read anywhere sees it, and a burst of writes
 *   never holds pooled connections while the cache waits for other instances.
 *
 * Needs a driver with `RETURNING` (PostgreSQL, CockroachDB, SQL Server, SQLite): the written row comes back
 * from the statement that wrote it.
 *
 * @example
 * const jobs = new CachedRepository(dataSource.getRepository(Job), cache, {
 *   namespace: 'job', versionProperty: 'version', toCached: toJobResponse,
 *   ttl: (job) => (job.status === 'completed' ? 3600 : 30), invalidates: (job) => [`client:${job.clientId}`],
 * });
 * const job = await jobs.mutate(id, (current) => ({ progress: current.progress + 1 }));
 */
export class CachedRepository<T extends ObjectLiteral, V = T> {
  private readonly logger = new Logger('CachedRepository');

  constructor(
    /** The wrapped repository, for reads this class does not cache. Write through this class. */
    readonly repository: Repository<T>,
    private readonly cache: CachedRepositoryCache,
    private readonly options: CachedRepositoryOptions<T, V>,
  ) {
    cache.key(options.namespace); // validates the namespace at boot
    const driver = repository.manager.connection.driver;
    if (!(['insert', 'update', 'delete'] as const).every((kind) => driver.isReturningSqlSupported(kind))) {
      throw new CacheConfigError(`CachedRepository(${options.namespace}) needs a database driver with RETURNING; ${repository.manager.connection.options.type} has none`);
    }
  }

  /** The logical key of the entity with `id` (what the HTTP layer answers from). */
  key(id: string | number): string {
    return this.cache.key(this.options.namespace, id);
  }

  /** The entity's cached view by id, read through the cache; `undefined` if there is no such row. */
  async findOneById(id: string | number): Promise<CachedResource<V> | undefined> {
    const key = this.key(id);
    const where = this.whereId(id);
    const result = await this.cache.getOrLoad<V>(key, async () => {
      const entity = await this.repository.findOneBy(where);
      return entity === null ? undefined : this.view(entity);
    }, {
      ttl: this.options.ttl,
      version: this.options.versionProperty === undefined ? undefined : (view) => this.versionFromView(view),
      negativeTtlSeconds: this.options.negativeTtlSeconds,
    });
    return CachedResource.from(key, result);
  }

  /**
   * A cached query result under `<namespace>-list:<parts>`, carrying `tags`: a write whose
   * `invalidates(entity)` names one of them makes it a miss, and a fill that raced the write is refused.
   */
  async findList<L>(parts: ReadonlyArray<string | number>, load: (repository: Repository<T>) => Promise<L>, options: { tags: readonly string[]; ttl?: TtlPolicy<L> }): Promise<CachedResource<L>> {
    const key = this.cache.key(`${this.options.namespace}-list`, ...parts);
    const result = await this.cache.getOrLoad<L>(key, () => load(this.repository), { tags: options.tags, ttl: options.ttl });
    const resource = CachedResource.from(key, result);
    if (!resource) throw new TypeError(`the list loader of ${key} returned undefined`);
    return resource;
  }

  /**
   * Inserts a row (`INSERT … RETURNING *`), commits, then pre-warms its entry (its version beats a
   * "not found" cached before it existed) and invalidates its tags. Resolves the inserted entity.
   */
  async insert(values: EntityChanges<T>): Promise<T> {
    const entity = await this.write(async (manager) => {
      const result = await manager.createQueryBuilder().insert().into(this.repository.target).values(values).returning('*').execute();
      return this.returned(manager, result.raw);
    });
    if (entity === undefined) throw new TypeError(`INSERT into ${this.options.namespace} returned no row`);
    await this.refresh(entity);
    return entity;
  }

  /**
   * Updates the row with `id`: locks it (`SELECT … FOR UPDATE`), asks `change` what to write given the
   * current row (throw there to refuse — nothing is written), writes it with the version property + 1
   * (`UPDATE … RETURNING *`), commits, then pre-warms the entry with the new version and invalidates the
   * tags. Resolves the updated entity, or `undefined` when no row has this id.
   */
  async mutate(id: string | number, change: (current: T) => EntityChanges<T> | Promise<EntityChanges<T>>): Promise<T | undefined> {
    const where = this.whereId(id);
    const entity = await this.write(async (manager) => {
      const current = await manager.getRepository(this.repository.target).findOne({ where, lock: { mode: 'pessimistic_write' } });
      if (current === null) return undefined;
      const values = { ...(await change(current)) } as Record<string, unknown>;
      const versionProp = this.options.versionProperty;
      if (versionProp !== undefined) {
        const column = manager.connection.getMetadata(this.repository.target).findColumnWithPropertyName(versionProp)?.databaseName ?? versionProp;
        values[versionProp] = () => `${manager.connection.driver.escape(column)} + 1`;
      }
      const result = await manager.createQueryBuilder().update(this.repository.target).set(values as EntityChanges<T>).where(where).returning('*').execute();
      return this.returned(manager, result.raw);
    });
    if (entity !== undefined) await this.refresh(entity);
    return entity;
  }

  /**
   * Deletes the row with `id` (`DELETE … RETURNING *`), commits, then leaves a tombstone one version above
   * the deleted row (no fill that read it before the delete can bring it back) and invalidates its tags.
   * Resolves the deleted entity, or `undefined` when there was none.
   */
  async remove(id: string | number): Promise<T | undefined> {
    const where = this.whereId(id);
    const entity = await this.write(async (manager) => {
      const result = await manager.createQueryBuilder().delete().from(this.repository.target).where(where).returning('*').execute();
      return this.returned(manager, result.raw);
    });
    if (entity === undefined) return undefined;
    const version = this.versionOf(entity);
    await this.afterCommit(entity, () => this.cache.delete(this.key(this.idOf(entity)), version === undefined ? undefined : { version: version + 1 }));
    return entity;
  }

  /** One transaction of its own around `work`, admitting the written entity's cache write right before COMMIT. */
  private write(work: (manager: EntityManager) => Promise<T | undefined>): Promise<T | undefined> {
    return inOwnTransaction(this.repository.manager.connection, work, (entity) => {
      if (entity !== undefined) this.cache.admitWrite(this.key(this.idOf(entity)));
    }, this.logger);
  }

  private returned(manager: EntityManager, raw: unknown): T | undefined {
    const row = Array.isArray(raw) ? (raw[0] as Record<string, unknown> | undefined) : undefined;
    return row === undefined ? undefined : entityFromRow(manager, this.repository.target, row);
  }

  /** The versioned pre-warm of `entity`'s entry, with its tags. */
  private refresh(entity: T): Promise<void> {
    const view = this.view(entity);
    return this.afterCommit(entity, () => this.cache.set(this.key(this.idOf(entity)), view, { version: this.versionOf(entity), ttlSeconds: this.ttlOf(view) }));
  }

  /**
   * The cache work of a committed write: the entry's and the tags' at once (their announcements to the
   * other instances leave in one message, with one wait for the acknowledgements).
   */
  private async afterCommit(entity: T, entry: () => Promise<unknown>): Promise<void> {
    const tags = this.options.invalidates?.(entity) ?? [];
    try {
      await Promise.all([entry(), tags.length > 0 ? this.cache.invalidateTags(tags) : undefined]);
    } catch (error) {
      // The row is committed: the caller must get its success. The cache fails open by contract; its TTL
      // bounds what this leaves behind.
      this.logger.error(`cache refresh of ${this.key(this.idOf(entity))} after a commit failed: ${(error as Error).name}: ${(error as Error).message}`);
    }
  }

  private whereId(id: string | number): FindOptionsWhere<T> {
    return { [this.options.idProperty ?? 'id']: id } as FindOptionsWhere<T>;
  }

  private idOf(entity: T): string | number {
    const id: unknown = entity[this.options.idProperty ?? 'id'];
    return typeof id === 'number' ? id : String(id);
  }

  private versionOf(entity: T): number | undefined {
    const prop = this.options.versionProperty;
    return prop === undefined ? undefined : Number(entity[prop]);
  }

  private versionFromView(view: V): number | undefined {
    const value = (view as Record<string, unknown>)[this.options.versionProperty as string];
    return typeof value === 'number' ? value : undefined;
  }

  private view(entity: T): V {
    return this.options.toCached ? this.options.toCached(entity) : (entity as unknown as V);
  }

  private ttlOf(view: V): number | undefined {
    const ttl = this.options.ttl;
    return typeof ttl === 'function' ? ttl(view) : ttl;
  }
}
