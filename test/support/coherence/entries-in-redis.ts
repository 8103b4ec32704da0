import type { Redis } from 'ioredis';

/**
 * The versions of job `id` that Redis holds in entries under `prefix` (the job's own entry, not list pages),
 * found by SCAN (never KEYS) and read back. Deliberately blind to the engine's key layout and envelope
 * (which the coherence work may change): an entry is any string value under the prefix, outside the
 * protocol keys (`<prefix>!…`), whose JSON is this job (`{"id":<id>,…}`, not a page of `items`).
 */
export async function versionsInRedis(client: Redis, prefix: string, id: number): Promise<number[]> {
  const versions: number[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      if (key.startsWith(`${prefix}!`) || (await client.type(key)) !== 'string') continue;
      const value = (await client.get(key)) ?? '';
      if (value.includes('"items"') || !value.includes(`{"id":${id},`)) continue;
      const version = /"version":(\d+)/.exec(value.slice(value.indexOf(`{"id":${id},`)));
      if (version !== null) versions.push(Number(version[1]));
    }
  } while (cursor !== '0');
  return versions;
}
