import type { CacheLogger } from './cache.types.js';
import type { RedisLink } from './redis-link.js';
import type { RedisStore } from './tiers/redis-store.js';

/**
 * Runs `fn` on L2 if it is usable; `undefined` when L2 is absent, unusable or the call failed. A failed
 * or skipped call on `dirtyKey` marks it dirty, so recovery repairs it before Redis is trusted again.
 * The guard already counted and logged the failure; falling back is the documented behaviour.
 * `waitForRecovery`: a recovery in progress is waited for, up to one command timeout (writes).
 *
 * Not `async`: on the hot path (L2 usable) the only promise step added to `fn`'s is the one that turns its
 * failure into `undefined`.
 */
export function onL2<R>(
  link: RedisLink | undefined,
  logger: CacheLogger | undefined,
  dirtyKey: string | undefined,
  fn: (store: RedisStore) => Promise<R>,
  waitForRecovery = false,
): Promise<R | undefined> {
  if (!link) return Promise.resolve(undefined);
  if (link.usable()) return attempt(link, logger, dirtyKey, fn);
  if (!waitForRecovery) return Promise.resolve(skipped(link, dirtyKey));
  return link.usableSoon(link.commandTimeoutMs).then((usable) => (usable ? attempt(link, logger, dirtyKey, fn) : skipped(link, dirtyKey)));
}

function attempt<R>(link: RedisLink, logger: CacheLogger | undefined, dirtyKey: string | undefined, fn: (store: RedisStore) => Promise<R>): Promise<R | undefined> {
  let call: Promise<R>;
  try {
    call = fn(link.store);
  } catch (error) {
    call = Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
  return call.then(undefined, (error: unknown) => {
    logger?.debug?.(`cache falling back to memory: ${(error as Error).message}`);
    return skipped(link, dirtyKey);
  });
}

function skipped(link: RedisLink, dirtyKey: string | undefined): undefined {
  if (dirtyKey !== undefined) link.dirty.add(dirtyKey);
  return undefined;
}
