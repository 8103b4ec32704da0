import { Logger } from '@nestjs/common';
import type { EntityManager, FindOptionsWhere, ObjectLiteral, Repository } from 'typeorm';
import type { TtlPolicy } from '../engine/cache.types.js';
import { CachedResource } from '../interceptors/cached-resource.js';
import type { CacheService } from '../nest/cache.service.js';
import { afterCommit } from './after-commit.js';

/** Configuration of a {@link CachedRepository}. */
export interface CachedRepositoryOptions<T, V> {
  /** Namespace of the entity entries: `<namespace>:<id>` (the key a `@CacheFromEntry` route answers from). */
  namespace: string;
  /** Primary key property of the entity. Default `'id'`. */
  idProperty?: keyof T & string;
  /** What is cached: a plain-JSON view of the entity (e.g. its response DTO). Default: the entity as JSON. */
  toCached?: (entity: T) => V;
  /** The entity's version property (incremented by `update`); makes every cache write set-if-newer. */
  versionProperty?: keyof T & string;
  /** TTL of an entity entry, fixed or from the cached view (e.g. by status). Default: the module's. */
  ttl?: TtlPolicy<V>;
  /** Seconds an unknown id is remembered as "not found". Default 0 (not cached). */
  negativeTtlSeconds?: number;
  /** Tags that every write of `entity` invalidates (e.g. the lists it appears in). */
  invalidates?: (entity: T) => readonly string[];
}

/**
 * What a {@link CachedRepository} needs of the cache: `CacheService` satisfies it; an application may pass a
 * wrapper (e.g. a `MigratingCache` in front of the entity namespace, or per-call load options).
 */
export type CachedRepositoryCache = Pick<CacheService, 'key' | 'getOrLoad' | 'set' | 'delete' | 'invalidateTags'>;

/** Per-call options of the write methods. */
export interface CachedWriteOptions {
  /** Run inside this transaction's manager; the cache is refreshed only after it commits. */
  manager?: EntityManager;
}

/**
 * Cache-aside over a TypeORM `Repository`: `findOneById` reads through the cache (versioned when the entity
 * has a version property, negative-cached when asked), `findList` caches any query under tags, and
 * `save`/`update`/`delete` refresh the cache **after the transaction commits**: a versioned pre-warm of the
 * entity entry (so the next read is a hit with the new version, never an older one) and an invalidation of
 * the tags the entity belongs to. A rolled-back transaction leaves the cache untouched. Cache failures
 * after a commit are logged, never thrown: the row is committed and the entry's TTL bounds any staleness.
 *
 * @example
 * const jobs = new CachedRepository(dataSource.getRepository(Job), cache, {
 *   namespace: 'job', versionProperty: 'version', toCached: toJobResponse,
 *   ttl: (job) => (job.status === 'completed' ? 3600 : 30), invalidates: (job) => [`client:${job.clientId}`],
 * });
 */
export class CachedRepository<T extends ObjectLiteral, V = T> {
  private readonly logger = new Logger('CachedRepository');

  constructor(
    /** The wrapped repository, for anything this class does not cache. */
    readonly repository: Repository<T>,
    private readonly cache: CachedRepositoryCache,
    private readonly options: CachedRepositoryOptions<T, V>,
  ) {
    cache.key(options.namespace); // validates the namespace at boot
  }

  /** The logical key of the entity with `id` (what the HTTP layer answers from). */
  key(id: string | number): string {
    return this.cache.key(this.options.namespace, id);
  }

  private idOf(entity: T): string | number {
    const id: unknown = entity[this.options.idProperty ?? 'id'];
    return typeof id === 'number' ? id : String(id);
  }

  private versionOf(entity: T): number | undefined {
    const prop = this.options.versionProperty;
    return prop === undefined ? undefined : Number(entity[prop]);
  }

  private view(entity: T): V {
    return this.options.toCached ? this.options.toCached(entity) : (entity as unknown as V);
  }

  private ttlOf(view: V): number | undefined {
    const ttl = this.options.ttl;
    return typeof ttl === 'function' ? ttl(view) : ttl;
  }

  /** The entity's cached view by id, read through the cache; `undefined` if there is no such row. */
  async findOneById(id: string | number): Promise<CachedResource<V> | undefined> {
    const key = this.key(id);
    const where = { [this.options.idProperty ?? 'id']: id } as FindOptionsWhere<T>;
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

  private versionFromView(view: V): number | undefined {
    const prop = this.options.versionProperty as string;
    const value = (view as Record<string, unknown>)[prop];
    return typeof value === 'number' ? value : undefined;
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

  /** Saves (insert or update) and refreshes the cache after commit. */
  async save(entity: T, options: CachedWriteOptions = {}): Promise<T> {
    const saved = await (options.manager ? options.manager.getRepository<T>(this.repository.target).save(entity) : this.repository.save(entity));
    await this.written(saved, options.manager);
    return saved;
  }

  /**
   * Updates the row in a transaction (bumping the version property, if any), re-reads it, and refreshes the
   * cache after commit. `undefined` when no row has this id.
   */
  async update(id: string | number, patch: Partial<T>, options: CachedWriteOptions = {}): Promise<T | undefined> {
    const run = async (manager: EntityManager): Promise<T | undefined> => {
      const repo = manager.getRepository<T>(this.repository.target);
      const where = { [this.options.idProperty ?? 'id']: id } as FindOptionsWhere<T>;
      const set: Record<string, unknown> = { ...patch };
      const versionProp = this.options.versionProperty;
      if (versionProp !== undefined && set[versionProp] === undefined) {
        const column = repo.metadata.findColumnWithPropertyName(versionProp)?.databaseName ?? versionProp;
        set[versionProp] = () => `"${column}" + 1`;
      }
      const result = await repo.createQueryBuilder().update().set(set as never).where(where).execute();
      if (!result.affected) return undefined;
      const entity = await repo.findOneByOrFail(where);
      await this.written(entity, manager);
      return entity;
    };
    return options.manager ? run(options.manager) : this.repository.manager.transaction(run);
  }

  /** Deletes the row and, after commit, tombstones its entry (versioned) and invalidates its tags. */
  async delete(id: string | number, options: CachedWriteOptions = {}): Promise<boolean> {
    const repo = options.manager ? options.manager.getRepository<T>(this.repository.target) : this.repository;
    const where = { [this.options.idProperty ?? 'id']: id } as FindOptionsWhere<T>;
    const entity = await repo.findOneBy(where);
    if (entity === null) return false;
    await repo.delete(where);
    await this.removed(entity, options.manager);
    return true;
  }

  /**
   * Tells the cache that `entity` was written (by this class or by your own SQL): after `manager`'s
   * transaction commits (at once without one), pre-warms its entry with a versioned write and invalidates
   * its tags.
   */
  async written(entity: T, manager?: EntityManager): Promise<void> {
    const key = this.key(this.idOf(entity));
    const view = this.view(entity);
    const version = this.versionOf(entity);
    await afterCommit(manager, {
      // Both at once: their bus announcements leave in one message with one ack wait. The caller resolves
      // only after both are confirmed, so the response order of the contract holds.
      refresh: () => this.guard(key, async () => {
        await Promise.all([this.cache.set(key, view, { version, ttlSeconds: this.ttlOf(view) }), this.invalidate(entity)]);
      }),
      evict: () => this.guard(key, async () => {
        await Promise.all([this.cache.delete(key), this.invalidate(entity)]);
      }),
    });
  }

  /** Tells the cache that `entity` was deleted: after commit, a versioned tombstone and its tags invalidated. */
  async removed(entity: T, manager?: EntityManager): Promise<void> {
    const key = this.key(this.idOf(entity));
    const version = this.versionOf(entity);
    const evict = () => this.guard(key, async () => {
      // Version + 1 blocks any in-flight fill that read the row before the delete.
      await Promise.all([this.cache.delete(key, version === undefined ? undefined : { version: version + 1 }), this.invalidate(entity)]);
    });
    await afterCommit(manager, { refresh: evict, evict });
  }

  private async invalidate(entity: T): Promise<void> {
    const tags = this.options.invalidates?.(entity) ?? [];
    if (tags.length > 0) await this.cache.invalidateTags(tags);
  }

  private async guard(key: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      // The row is committed: the caller must get its success. The cache fails open by contract.
      this.logger.error(`cache refresh of ${key} after a commit failed: ${(error as Error).name}: ${(error as Error).message}`);
    }
  }
}
