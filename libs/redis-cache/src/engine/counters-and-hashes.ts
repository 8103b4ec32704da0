import type { CacheStatsCounter } from './cache-stats.js';
import type { CacheLogger } from './cache.types.js';
import { onL2 } from './l2-call.js';
import type { RedisLink } from './redis-link.js';
import type { MemoryStore } from './tiers/memory-store.js';

/**
 * Counters and hashes: plain Redis structures (no envelope, no L1 copy). While Redis is unreachable they
 * live in process memory, per instance, best effort — the documented fallback for these seed operations.
 */
export class CountersAndHashes {
  constructor(
    private readonly link: RedisLink | undefined,
    private readonly mem: MemoryStore,
    private readonly stats: CacheStatsCounter,
    private readonly logger?: CacheLogger,
  ) {}

  async increment(pk: string, by: number, ttlSeconds?: number): Promise<number> {
    const ttlMs = (ttlSeconds ?? 0) * 1000;
    return (await onL2(this.link, this.logger, pk, (l2) => l2.increment(pk, by, ttlMs))) ?? this.mem.increment(pk, by, ttlMs);
  }

  async hashSet(pk: string, field: string, value: unknown, ttlSeconds?: number): Promise<void> {
    const raw = JSON.stringify(value);
    const ttlMs = (ttlSeconds ?? 0) * 1000;
    if ((await onL2(this.link, this.logger, pk, (l2) => l2.hashSet(pk, field, raw, ttlMs).then(() => true))) === undefined) {
      await this.mem.hashSet(pk, field, raw, ttlMs);
    }
  }

  async hashGet<T>(pk: string, field: string): Promise<T | undefined> {
    const l2 = this.link ? await onL2(this.link, this.logger, pk, (store) => store.hashGet(pk, field).then((raw) => ({ raw }))) : undefined;
    const raw = l2 ? l2.raw : await this.mem.hashGet(pk, field);
    return raw === undefined ? undefined : this.parseField<T>(raw);
  }

  async hashGetAll<T>(pk: string): Promise<Record<string, T>> {
    const all = (this.link ? await onL2(this.link, this.logger, pk, (store) => store.hashGetAll(pk)) : undefined) ?? (await this.mem.hashGetAll(pk));
    const out: Record<string, T> = Object.create(null) as Record<string, T>;
    for (const [field, raw] of Object.entries(all)) {
      const value = this.parseField<T>(raw);
      if (value !== undefined) out[field] = value;
    }
    return out;
  }

  private parseField<T>(raw: string): T | undefined {
    try {
      return JSON.parse(raw) as T;
    } catch (error) {
      this.stats.increment('errors');
      this.logger?.warn(`cache hash field is not valid JSON (${(error as Error).name})`);
      return undefined;
    }
  }
}
