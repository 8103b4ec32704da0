import type { CacheLogger } from './cache.types.js';
import type { RedisClient } from './redis-client.js';
import { isCluster } from './redis-client.js';

/**
 * Reads `maxmemory` and `maxmemory-policy` once, at the first connection, and says what they mean for the
 * cache (`CONFIG GET` may be refused by an ACL or a managed Redis: then it says nothing but a debug line).
 *
 * Correctness holds under every policy: a missing fill lease, tag generation or coordination record reads
 * as invalid, never as "unchanged" (see the library README). What the policy decides is availability:
 * - `noeviction` with a `maxmemory`: once Redis is full every write fails, so strict writers go dark (each
 *   waits up to a lease once, then is acknowledged) and, after the write window, refuse strict writes.
 * - any evicting policy: an evicted coordination record starts a new keyspace epoch (the whole cache reads as
 *   empty once); `volatile-*` never evicts it (it has no TTL).
 */
export async function checkEvictionPolicy(client: RedisClient, timeoutMs: number, logger?: CacheLogger): Promise<void> {
  const node = isCluster(client) ? client.nodes('master')[0] : client;
  if (!node || !logger) return;
  let timer: NodeJS.Timeout | undefined;
  try {
    const reply = await Promise.race([
      node.config('GET', 'maxmemory*'),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('timed out')), timeoutMs); }),
    ]);
    const settings = new Map<string, string>();
    for (let i = 0; i + 1 < reply.length; i += 2) settings.set(reply[i], reply[i + 1]);
    const policy = settings.get('maxmemory-policy') ?? 'unknown';
    const maxmemory = Number(settings.get('maxmemory') ?? '0');
    if (policy === 'noeviction' && maxmemory > 0) {
      logger.warn('cache redis maxmemory-policy is noeviction with a maxmemory: when Redis is full every cache write fails, strict writers wait a lease each and, past their write window, refuse updates; prefer allkeys-lru or volatile-lru');
    } else if (policy.startsWith('allkeys-')) {
      logger.log(`cache redis maxmemory-policy ${policy}: entries may be evicted (misses); an evicted coordination record empties the cache once (new epoch)`);
    } else {
      logger.log(`cache redis maxmemory-policy ${policy}`);
    }
  } catch (error) {
    logger.debug?.(`cache redis eviction policy not readable (${(error as Error).message}); not checked`);
  } finally {
    clearTimeout(timer);
  }
}
