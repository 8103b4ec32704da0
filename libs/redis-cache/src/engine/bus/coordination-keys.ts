/**
 * Names of the coordination channel and record of one key prefix. On a Cluster both carry the same hash tag,
 * so the heartbeat script can update the record and publish on the channel (sharded pub/sub) in one slot.
 */
export function coordinationNames(prefix: string, cluster: boolean): { channel: string; record: string } {
  return cluster
    ? { channel: `{${prefix}!bus}`, record: `{${prefix}!bus}!coord` }
    : { channel: `${prefix}!bus`, record: `${prefix}!coord` };
}
