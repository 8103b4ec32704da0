// Removes the harness's keys from the shared Redis: SCAN … MATCH on the run's own prefix and UNLINK in
// batches. Never KEYS, never FLUSHDB. Bounded in iterations and time.
import { Redis } from 'ioredis';

/** Deletes every key matching `<prefix>*`; returns how many were unlinked. */
export async function deleteKeysByPrefix(redisUrl, prefix, { maxIterations = 100_000 } = {}) {
  if (!/^bench[-:_a-z0-9]+$/i.test(prefix)) throw new Error(`refusing to clean prefix ${prefix}`);
  const redis = new Redis(redisUrl, { commandTimeout: 5000, maxRetriesPerRequest: 1, lazyConnect: true });
  await redis.connect();
  let cursor = '0';
  let removed = 0;
  let iterations = 0;
  try {
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) removed += await redis.unlink(...keys);
      iterations += 1;
    } while (cursor !== '0' && iterations < maxIterations);
  } finally {
    redis.disconnect();
  }
  return removed;
}
