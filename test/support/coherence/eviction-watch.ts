import type { Redis } from 'ioredis';
import { backgroundLoop } from './background-loop.js';

/** What a watch saw removed: the app's protocol keys (`<prefix>!…`) and its entries. */
export interface Removed {
  protocol: number;
  entries: number;
}

/**
 * Counts the keys under `prefix` that Redis evicts, from keyspace notifications (`notify-keyspace-events Ee`,
 * channel `__keyevent@0__:evicted`), on a connection of its own (`subscriber`, which it then owns).
 */
export async function watchEvictions(admin: Redis, subscriber: Redis, prefix: string): Promise<{ counts: Removed; stop: () => void }> {
  await admin.config('SET', 'notify-keyspace-events', 'Ee');
  const counts: Removed = { protocol: 0, entries: 0 };
  subscriber.on('message', (_channel: string, key: string) => {
    if (!key.startsWith(prefix)) return;
    if (key.startsWith(`${prefix}!`)) counts.protocol += 1;
    else counts.entries += 1;
  });
  await subscriber.subscribe('__keyevent@0__:evicted');
  return { counts, stop: () => subscriber.disconnect() };
}

/**
 * An adversary that deletes every protocol key of `prefix` (`<prefix>!…`: tag generations, tombstones,
 * leases, membership, epoch…) every `everyMs`, found by SCAN MATCH (never KEYS). `stop()` returns how many
 * it deleted.
 */
export function deleteProtocolKeys(admin: Redis, prefix: string, everyMs = 50): { stop: () => Promise<number> } {
  let deleted = 0;
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}!*`;
  const loop = backgroundLoop(async () => {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await admin.unlink(...keys);
    } while (cursor !== '0');
  }, everyMs);
  return {
    stop: async () => {
      await loop.stop();
      return deleted;
    },
  };
}
