import { Cluster, Redis } from 'ioredis';
import type { RedisConnectionSettings } from './redis-connection.js';

/** The data client: one connection (standalone or through Sentinel) or a Redis Cluster client. */
export type RedisClient = Redis | Cluster;

/** Creates the data client for the settings' topology (lazy: nothing connects until `connect()`). */
export function createRedisClient(settings: RedisConnectionSettings): RedisClient {
  return settings.cluster ? new Cluster(settings.cluster.nodes, settings.cluster.options) : new Redis(settings.options);
}

/** Whether `client` is a Cluster client. */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}
