import { auth, type ListeningApp, startListeningApp } from './listening-app.js';
import { databaseUrlOf } from './jobs-db.js';

/** The counters of `GET /api/v2/cache/stats` that the multi-instance tests read (over HTTP only). */
export interface InstanceStats {
  l1Hits: number;
  l2Hits: number;
  misses: number;
  loads: number;
  l1Bypassed: number;
  busPublished: number;
  busReceived: number;
  busAckTimeouts: number;
  busResubscribes: number;
  redisAvailable: boolean;
  bus: { state: string; peers: number; lastReceivers: number };
}

/** Several app instances sharing one PostgreSQL database and one Redis key prefix (hence one bus). */
export interface AppCluster {
  readonly instances: readonly ListeningApp[];
  readonly databaseUrl: string;
  /** Closes the instances (the first last: it owns the database). Idempotent. */
  close(): Promise<void>;
}

/**
 * Boots one real `AppModule` per entry of `redisUrls` (each its own Nest app, port, connections, L1 and bus
 * subscriber) on one fresh database. The first instance creates the database and runs the migrations; the
 * others start after it, on the same database, so no two run migrations at once.
 */
export async function startCluster(options: { redisUrls: readonly string[]; prefix: string; env?: Record<string, string> }): Promise<AppCluster> {
  const env = { CACHE_PREFIX: options.prefix, CACHE_TTL_SECONDS: '60', ...options.env };
  const instances: ListeningApp[] = [];
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    while (instances.length > 0) await instances.pop()!.close();
  };
  try {
    instances.push(await startListeningApp({ redisUrl: options.redisUrls[0], env }));
    const databaseUrl = databaseUrlOf(instances[0]);
    for (const redisUrl of options.redisUrls.slice(1)) {
      instances.push(await startListeningApp({ redisUrl, database: { url: databaseUrl }, env }));
    }
    return { instances, databaseUrl, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** An instance's own cache counters, read through its admin endpoint. */
export async function statsOf(h: ListeningApp): Promise<InstanceStats> {
  const answer = await h.client.send('GET', '/api/v2/cache/stats', { headers: auth('admin'), timeoutMs: 5_000 });
  if (answer.status !== 200) throw new Error(`GET /api/v2/cache/stats answered ${answer.status}`);
  return (JSON.parse(answer.body) as { statistics: InstanceStats }).statistics;
}

/** `after - before` for every numeric counter of {@link InstanceStats}. */
export function statsDelta(before: InstanceStats, after: InstanceStats): Record<'l1Hits' | 'l2Hits' | 'misses' | 'loads' | 'l1Bypassed' | 'busPublished' | 'busReceived' | 'busAckTimeouts' | 'busResubscribes', number> {
  const d = (k: keyof InstanceStats) => (after[k] as number) - (before[k] as number);
  return {
    l1Hits: d('l1Hits'), l2Hits: d('l2Hits'), misses: d('misses'), loads: d('loads'), l1Bypassed: d('l1Bypassed'),
    busPublished: d('busPublished'), busReceived: d('busReceived'), busAckTimeouts: d('busAckTimeouts'), busResubscribes: d('busResubscribes'),
  };
}
