import type { Redis } from 'ioredis';
import { backgroundLoop } from './background-loop.js';
import { infoNumber } from './redis-info.js';

/** Keys the tests fill memory with: outside every app prefix. */
export const JUNK_PREFIX = 'fault-junk:';
const JUNK_VALUE = 'x'.repeat(4096);

/**
 * Fills the server with junk until it refuses writes with `OOM` (policy `noeviction`, `maxmemory` 1 MiB above
 * what it uses now), then lowers `maxmemory` 256 KiB below what it uses: a refused write frees its own
 * buffer, and a write that replaces a value of the same size needs no more memory, so a limit merely
 * reached would let most writes through. Nothing the app may delete frees enough to go back under.
 * Returns how many junk keys it took.
 */
export async function fillUntilOom(client: Redis): Promise<number> {
  await client.config('SET', 'maxmemory-policy', 'noeviction');
  await client.config('SET', 'maxmemory', String((await infoNumber(client, 'memory', 'used_memory')) + 1024 * 1024));
  for (let n = 0; n < 100_000; n++) {
    try {
      await client.set(`${JUNK_PREFIX}${n}`, JUNK_VALUE);
    } catch (error) {
      if (!/^OOM/.test((error as Error).message)) throw error;
      await client.config('SET', 'maxmemory', String((await infoNumber(client, 'memory', 'used_memory')) - 256 * 1024));
      return n;
    }
  }
  throw new Error('100 000 junk keys did not fill maxmemory');
}

/** Lifts `maxmemory` and removes the junk (SCAN + UNLINK). */
export async function releaseMemory(client: Redis): Promise<void> {
  await client.config('SET', 'maxmemory', '0');
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${JUNK_PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}

/**
 * Evicts under `policy` in pulses: every `everyMs`, `maxmemory` is set `bytes` below what the server uses
 * (Redis evicts at once, in `CONFIG SET`, by the policy) and lifted again right behind it, so eviction
 * happens over and over while (almost) no write is refused for memory. `maxmemory-samples 1` makes each eviction
 * pick any key (under `volatile-lru`, any key with a TTL): the protocol's own keys go as readily as entries.
 * `stop()` lifts the limit for good.
 */
export async function pulseEvictions(client: Redis, policy: 'allkeys-lru' | 'volatile-lru', bytes = 3_072, everyMs = 25): Promise<{ stop: () => Promise<void> }> {
  await client.config('SET', 'maxmemory-policy', policy);
  await client.config('SET', 'maxmemory-samples', '1');
  const loop = backgroundLoop(async () => {
    const used = await infoNumber(client, 'memory', 'used_memory');
    // One pipeline (not MULTI: Redis does not evict inside EXEC): Redis runs a client's buffered commands
    // back to back, so no app command runs while the limit is down and none is refused for memory.
    await client.pipeline().config('SET', 'maxmemory', String(used - bytes)).config('SET', 'maxmemory', '0').exec();
  }, everyMs);
  return {
    stop: async () => {
      await loop.stop();
      await client.config('SET', 'maxmemory', '0');
    },
  };
}
