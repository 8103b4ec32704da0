import type { CacheLogger } from './cache.types.js';
import type { RedisLink } from './redis-link.js';
import type { RedisStore } from './tiers/redis-store.js';

/**
 * Runs `fn` on L2 if it is usable; `undefined` when L2 is absent, unusable or the call failed. A failed
 * or skipped call on `dirtyKey` marks it dirty, so recovery repairs it before Redis is trusted again.
 * The guard already counted and logged the failure; falling back is the documented behaviour.
 */
export async function onL2<R>(
  link: RedisLink | undefined,
  logger: CacheLogger | undefined,
  dirtyKey: string | undefined,
  fn: (store: RedisStore) => Promise<R>,
): Promise<R | undefined> {
  if (!link) return undefined;
  if (link.usable()) {
    try {
      return await fn(link.store);
    } catch (error) {
      logger?.debug?.(`cache falling back to memory: ${(error as Error).message}`);
    }
  }
  if (dirtyKey !== undefined) link.dirty.add(dirtyKey);
  return undefined;
}
