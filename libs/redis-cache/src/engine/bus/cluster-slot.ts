import calculateSlot from 'cluster-key-slot';

/**
 * The hash slot (0–16383) of a key or shard channel, as Redis Cluster computes it (CRC16, or of the hash
 * tag between the first `{` and the next `}`), from `cluster-key-slot` — the implementation ioredis itself
 * routes commands with, so our idea of a slot can never differ from the client's.
 *
 * @example clusterSlot('{cache:!bus}:ack:1') === clusterSlot('{cache:!bus}')
 */
export function clusterSlot(key: string): number {
  return calculateSlot(key);
}
