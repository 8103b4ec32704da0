import type { Redis } from 'ioredis';

/** `INFO <section>` as a map of its `name:value` lines. */
export async function info(client: Redis, section: string): Promise<Map<string, string>> {
  const text = await client.info(section);
  return new Map(text.split('\r\n').filter((l) => l.includes(':') && !l.startsWith('#')).map((l) => {
    const at = l.indexOf(':');
    return [l.slice(0, at), l.slice(at + 1)] as [string, string];
  }));
}

/** A numeric field of `INFO <section>` (0 when absent). */
export async function infoNumber(client: Redis, section: string, field: string): Promise<number> {
  return Number((await info(client, section)).get(field) ?? 0);
}

/** How many error replies of one kind (`OOM`, `READONLY`, `NOPERM`…) the server has sent (`INFO errorstats`). */
export async function errorReplies(client: Redis, code: string): Promise<number> {
  const line = (await info(client, 'errorstats')).get(`errorstat_${code}`);
  return Number(/count=(\d+)/.exec(line ?? '')?.[1] ?? 0);
}
