import { randomBytes } from 'node:crypto';
import { afterAll, describe, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { ChaosReport } from '../support/chaos-report.js';
import { CASE_TIMEOUT_MS, type CaseContext, type FaultCase, runFaultCase } from '../support/coherence/fault-case.js';
import { infoNumber } from '../support/coherence/redis-info.js';
import { TestRedisCluster } from '../support/redis-cluster.js';
import { until } from '../support/wait.js';

/**
 * Issue 10, fault 2 on a Redis Cluster (3 masters, one replica each, password-protected): a master is
 * killed and its *lagging* replica promoted, so the slots it owned come back holding older versions (and
 * jobs deleted since). The lag is made deterministic: `CLIENT PAUSE WRITE` on the replica stops it applying
 * the replication stream (it still reads it); when its master dies the unapplied part is discarded, then
 * `CLUSTER FAILOVER TAKEOVER` promotes it.
 */
const report = new ChaosReport('coherence-cluster-failover');
let cluster: TestRedisCluster | undefined;
afterAll(async () => {
  await cluster?.stop();
  report.flush();
});

/** Runs `use` on a short-lived admin connection to one node. */
async function onNode<T>(c: TestRedisCluster, port: number, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = c.node(port).admin();
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

function laggingFailover(c: TestRedisCluster): FaultCase {
  return {
    id: '2c',
    fault: 'Redis Cluster (3 masters + 3 replicas): the master holding most keys killed, its lagging replica promoted (CLUSTER FAILOVER TAKEOVER)',
    rig: { cluster: c },
    inject: async (ctx: CaseContext) => {
      const topology = await c.topology();
      const masters = topology.filter((n) => n.role === 'master' && !n.failing);
      const sizes = await Promise.all(masters.map((m) => onNode(c, m.port, (client) => client.dbsize())));
      const master = masters[sizes.indexOf(Math.max(...sizes))];
      const replica = topology.find((n) => n.role === 'replica' && n.masterId === master.id)!;
      await onNode(c, replica.port, (client) => client.call('CLIENT', 'PAUSE', '600000', 'WRITE'));
      Object.assign(ctx.state, { master: master.port, replica: replica.port });
    },
    heal: async (ctx: CaseContext) => {
      const { master, replica } = ctx.state as { master: number; replica: number };
      const masterOffset = await onNode(c, master, (client) => infoNumber(client, 'replication', 'master_repl_offset'));
      const replicaApplied = await onNode(c, replica, (client) => infoNumber(client, 'replication', 'slave_repl_offset'));
      await c.node(master).kill();
      // Unpause only once the replica has seen its master go: it then drops the stream it has not applied.
      const noticed = await until(async () => (await onNode(c, replica, (client) => client.info('replication'))).includes('master_link_status:down'), 5_000);
      await onNode(c, replica, async (client) => {
        await client.call('CLIENT', 'UNPAUSE');
        await client.call('CLUSTER', 'FAILOVER', 'TAKEOVER');
      });
      const promoted = await until(async () => (await onNode(c, replica, (client) => client.info('replication'))).includes('role:master'), 10_000);
      await c.waitUntilOk(15_000);
      Object.assign(ctx.state, { masterOffset, replicaApplied, noticed, promoted });
    },
    evidence: async (ctx: CaseContext) => {
      const s = ctx.state as { masterOffset: number; replicaApplied: number; noticed: boolean; promoted: boolean };
      return {
        text: `replica behind by ${s.masterOffset - s.replicaApplied} bytes of replication stream when its master was killed; promoted ${s.promoted}`,
        ok: s.masterOffset > s.replicaApplied && s.noticed && s.promoted,
      };
    },
  };
}

describe('coherence when a Cluster fails over to a lagging replica (issue 10, fault 2)', () => {
  const name = '2c · Redis Cluster: a master killed, its lagging replica promoted';
  it(name, async () => {
    cluster = await TestRedisCluster.start({ masters: 3, replicasPerMaster: 1, password: randomBytes(12).toString('hex') });
    await runFaultCase(laggingFailover(cluster), report, name);
  }, CASE_TIMEOUT_MS);
});
