import type { ClusterOptions, RedisOptions } from 'ioredis';
import { parseRedisUrl, type ParsedRedisUrl } from './redis-url.js';

/** How the engine reaches Redis: one server, a primary found through Sentinel, or a Cluster. */
export type RedisTopologyKind = 'standalone' | 'sentinel' | 'cluster';

/** Connection settings derived from a `REDIS_URL`, plus the secrets to scrub from any message. */
export interface RedisConnectionSettings {
  kind: RedisTopologyKind;
  /**
   * Options of one ioredis `Redis` connection: the server (standalone), the Sentinel set and master name
   * (sentinel), or, for a cluster, the per-node options with the first seed as host (what the cluster
   * client gives each node connection).
   */
  options: RedisOptions;
  /** Cluster only: the seed nodes and the `Cluster` options (per-node options in `redisOptions`). */
  cluster?: { nodes: Array<{ host: string; port: number }>; options: ClusterOptions };
  /** Credentials found in the URL; {@link scrubSecrets} removes them from text. */
  secrets: string[];
  /** Where it connects, safe to log (no credentials). */
  description: string;
}

/** Reconnect back-off: 50 ms doubling up to 2 s, forever (a cache must come back by itself). */
export function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(Math.max(attempt - 1, 0), 10), 2000);
}

/**
 * Parses a Redis URL into fail-fast ioredis options: no offline queue (a command while disconnected fails
 * at once), at most one retry per request, nothing resent after a reconnect (a write that was reported
 * failed must never land later), a command timeout, bounded reconnect back-off, lazy connect and
 * auto-pipelining. Errors never echo the URL. Forms (see `redis-url.ts` for the grammar):
 *
 * - `redis://[user[:password]@]host[:port][/db]`, `rediss://…` (TLS, SNI = host).
 * - `redis+sentinel://[user[:password]@]host1[:26379][,host2…]/masterName[/db][?sentinelUsername=…&sentinelPassword=…]`
 *   (`rediss+sentinel://` = TLS to the primary). The user info authenticates to the *primary*; Sentinels
 *   take their own credentials from the query (none by default), because in most deployments they differ.
 * - `redis+cluster://[user[:password]@]host1[:6379][,host2…]` (`rediss+cluster://` = TLS): seed nodes of a
 *   Redis Cluster; database 0 only. The user info authenticates to every node.
 */
export function redisConnectionSettings(
  url: string,
  timeouts: { commandTimeoutMs: number; connectTimeoutMs: number },
): RedisConnectionSettings {
  const parsed = parseRedisUrl(url);
  const perNode = failFastOptions(parsed, timeouts);
  const secrets = [parsed.password, parsed.username && parsed.password ? `${parsed.username}:${parsed.password}` : undefined,
    parsed.sentinelPassword, ...parsed.rawSecrets]
    .filter((s): s is string => typeof s === 'string' && s.length > 0);
  const first = parsed.hosts[0];
  const where = parsed.hosts.map((h) => `${h.host}:${h.port}`).join(',');
  const tlsNote = parsed.tls ? ' (tls)' : '';
  if (parsed.kind === 'sentinel') {
    const options: RedisOptions = {
      ...perNode,
      sentinels: parsed.hosts,
      name: parsed.masterName,
      sentinelUsername: parsed.sentinelUsername,
      sentinelPassword: parsed.sentinelPassword,
      // Sentinels are asked in turn, each query bounded. A connect attempt gives up after three rounds that
      // found no primary (ioredis would otherwise keep one attempt pending forever); the connection's own
      // retryStrategy then starts the next attempt with the usual back-off, so the cache still comes back.
      sentinelCommandTimeout: timeouts.commandTimeoutMs,
      sentinelRetryStrategy: (attempt) => (attempt > 3 ? null : reconnectDelay(attempt)),
      sentinelMaxConnections: 10,
      enableTLSForSentinelMode: parsed.tls,
      // After a failover the old primary answers READONLY: ask the Sentinels again.
      failoverDetector: true,
    };
    return { kind: 'sentinel', options, secrets, description: `sentinel ${where} master ${parsed.masterName}/${parsed.db}${tlsNote}` };
  }
  if (parsed.kind === 'cluster') {
    const { retryStrategy, enableOfflineQueue, host, port, ...redisOptions } = perNode;
    void retryStrategy; void enableOfflineQueue; void host; void port;
    const options: ClusterOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      scaleReads: 'master',
      enableReadyCheck: true,
      // Re-discover the cluster after it was lost entirely, with the same bounded back-off.
      clusterRetryStrategy: reconnectDelay,
      // A command whose node connection closed is *not* retried elsewhere (it may have run, and a late
      // retry could land a write the guard already reported as failed); CLUSTERDOWN fails at once too.
      retryDelayOnFailover: 0,
      retryDelayOnClusterDown: 0,
      retryDelayOnTryAgain: 0,
      // MOVED/ASK mean "not run here": following a few is safe and needed during resharding.
      maxRedirections: 6,
      slotsRefreshTimeout: Math.max(timeouts.commandTimeoutMs, 500),
      redisOptions,
    };
    return {
      kind: 'cluster', options: { ...perNode, host: first.host, port: first.port },
      cluster: { nodes: parsed.hosts, options }, secrets, description: `cluster ${where}${tlsNote}`,
    };
  }
  const options: RedisOptions = { ...perNode, host: first.host, port: first.port };
  return { kind: 'standalone', options, secrets, description: `${where}/${parsed.db}${tlsNote}` };
}

function failFastOptions(parsed: ParsedRedisUrl, timeouts: { commandTimeoutMs: number; connectTimeoutMs: number }): RedisOptions {
  return {
    db: parsed.db,
    username: parsed.username,
    password: parsed.password,
    tls: parsed.tls ? (parsed.kind === 'standalone' ? { servername: parsed.hosts[0].host } : {}) : undefined,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    enableAutoPipelining: true,
    commandTimeout: timeouts.commandTimeoutMs,
    connectTimeout: timeouts.connectTimeoutMs,
    // close() on a frozen or partitioned server must not keep a 2 s timer (and the process) alive.
    disconnectTimeout: timeouts.commandTimeoutMs,
    retryStrategy: reconnectDelay,
    // READONLY after a failover: reconnect so the client finds the new primary.
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
    enableReadyCheck: true,
  };
}

/**
 * Removes credentials from a message: the known secrets, `user:password@` in any URL, and the arguments of
 * an `AUTH` command (ioredis puts the failed command's arguments into some error messages).
 */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  out = out.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^@\s/]*@/gi, '$1***@');
  out = out.replace(/\b(auth|hello)\b([^\n]*)/gi, '$1 ***');
  return out;
}
