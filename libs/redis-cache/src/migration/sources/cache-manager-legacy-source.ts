import type { Cache } from 'cache-manager';
import type { LegacyBatch, LegacyEntry, LegacySource, LegacyWalkOptions } from '../legacy-source.interface.js';
import { KeyvLegacySource } from './keyv-legacy-source.js';
import { writeUntil } from './write-until.js';

/**
 * A cache-manager 7 cache (what `@nestjs/cache-manager` injects as `CACHE_MANAGER`) as a
 * {@link LegacySource}. Reads and writes go through the cache (all its stores, as the app sees them); the
 * expiry comes from `cache.ttl(key)`; walks go over its last store (the most durable one, e.g. Redis).
 *
 * @example new CacheManagerLegacySource(this.cacheManager)
 */
export class CacheManagerLegacySource implements LegacySource {
  readonly description: string;
  private readonly walker?: KeyvLegacySource;

  constructor(private readonly cache: Cache, options: { description?: string; stableOrder?: boolean } = {}) {
    this.description = options.description ?? 'cache-manager';
    const last = cache.stores.at(-1);
    this.walker = last ? new KeyvLegacySource(last, { description: this.description, stableOrder: options.stableOrder }) : undefined;
  }

  /** See {@link LegacySource.get}. */
  async get(key: string): Promise<LegacyEntry | undefined> {
    const value = await this.cache.get<unknown>(key);
    if (value === undefined || value === null) return undefined;
    const expiresAt = await this.cache.ttl(key);
    return typeof expiresAt === 'number' ? { value, expiresAt } : { value };
  }

  /** See {@link LegacySource.set}. */
  async set(key: string, value: unknown, expiresAt?: number): Promise<void> {
    await writeUntil(expiresAt, (ttlMs) => this.cache.set(key, value, ttlMs), () => this.cache.del(key));
  }

  /** See {@link LegacySource.delete}. */
  async delete(key: string): Promise<void> {
    await this.cache.del(key);
  }

  /** See {@link LegacySource.entries} and {@link KeyvLegacySource.entries}. */
  entries(options: LegacyWalkOptions): AsyncIterable<LegacyBatch> {
    if (!this.walker) throw new TypeError(`${this.description} has no store to walk`);
    return this.walker.entries(options);
  }
}
