import { EventEmitter } from 'node:events';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import type { CacheEngine } from '../engine/cache-engine.js';

/** What the store needs of the cache: `CacheService` (or a bare `CacheEngine`). */
export type KeyvStoreTarget = Pick<CacheEngine, 'key' | 'get' | 'set' | 'delete' | 'deleteByPrefix' | 'exists'>;

/** Options of {@link RedisCacheKeyvStore}. */
export interface RedisCacheKeyvStoreOptions {
  /** Key namespace of the entries written through Keyv (default `keyv`): they live at `<prefix>keyv:<key>`. */
  namespace?: string;
  /**
   * TTL in seconds when Keyv passes none. Keyv means "never expires"; our tiers always bound an entry, so
   * this is the longest it lives (default 24 h).
   */
  defaultTtlSeconds?: number;
}

/**
 * A Keyv 5 store over our tiers, so `@nestjs/cache-manager` (and any Keyv user) runs on the same Redis
 * connection, L1, breaker and fail-fast behaviour as the rest of the app: a dead or frozen Redis costs at
 * most the command timeout, then nothing while the breaker is open, and L1 keeps serving. Keys are encoded
 * by the key builder, so a Keyv key can never widen a pattern or leave its namespace.
 *
 * @example
 * CacheModule.registerAsync({
 *   inject: [CacheService],
 *   useFactory: (cache: CacheService) => ({ stores: [new Keyv({ store: new RedisCacheKeyvStore(cache) })] }),
 * })
 */
export class RedisCacheKeyvStore extends EventEmitter implements KeyvStoreAdapter {
  /** Keyv reads this; nothing here needs it. */
  opts: Record<string, unknown>;
  /** Set by Keyv when it has a namespace; becomes a key part. */
  namespace?: string;
  private readonly root: string;
  private readonly defaultTtlSeconds: number;

  constructor(private readonly cache: KeyvStoreTarget, options: RedisCacheKeyvStoreOptions = {}) {
    super();
    this.root = options.namespace ?? 'keyv';
    this.defaultTtlSeconds = options.defaultTtlSeconds ?? 86_400;
    this.opts = { ...options };
    cache.key(this.root); // validates the namespace now
  }

  private key(key: string): string {
    return this.namespace === undefined ? this.cache.key(this.root, key) : this.cache.key(this.root, this.namespace, key);
  }

  /** The stored value (Keyv's serialised string), or `undefined`. */
  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return this.cache.get<StoredData<Value>>(this.key(key));
  }

  /** Values of several keys, in order. */
  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    return Promise.all(keys.map((key) => this.get<Value>(key)));
  }

  /** Writes `value` for `ttl` milliseconds (Keyv's unit), or {@link RedisCacheKeyvStoreOptions.defaultTtlSeconds}. */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const ttlSeconds = typeof ttl === 'number' && ttl > 0 ? ttl / 1000 : this.defaultTtlSeconds;
    return this.cache.set(this.key(key), value, { ttlSeconds });
  }

  /** Writes several entries. */
  async setMany(values: Array<{ key: string; value: unknown; ttl?: number }>): Promise<void> {
    await Promise.all(values.map(({ key, value, ttl }) => this.set(key, value, ttl)));
  }

  /** Deletes `key`; `true` if it held a live entry. */
  async delete(key: string): Promise<boolean> {
    const existed = await this.cache.exists(this.key(key));
    await this.cache.delete(this.key(key));
    return existed;
  }

  /** Deletes several keys; `true` if any held a live entry. */
  async deleteMany(keys: string[]): Promise<boolean> {
    return (await Promise.all(keys.map((key) => this.delete(key)))).some(Boolean);
  }

  /** Whether `key` holds a live entry. */
  async has(key: string): Promise<boolean> {
    return this.cache.exists(this.key(key));
  }

  /** Whether each key holds a live entry. */
  async hasMany(keys: string[]): Promise<boolean[]> {
    return Promise.all(keys.map((key) => this.has(key)));
  }

  /** Deletes every entry of this store's namespace (SCAN + UNLINK; nothing else is touched). */
  async clear(): Promise<void> {
    const prefix = this.namespace === undefined ? this.cache.key(this.root) : this.cache.key(this.root, this.namespace);
    await this.cache.deleteByPrefix(`${prefix}:`);
  }

  /** The connection belongs to the app's cache, which closes it on shutdown: nothing to do. */
  async disconnect(): Promise<void> {}
}
