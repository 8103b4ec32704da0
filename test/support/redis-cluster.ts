import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { TestRedisServer } from './redis-server.js';

const run = promisify(execFile);

async function clusterInfo(port: number): Promise<string> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 1000 });
  try {
    await client.connect();
    return String(await client.call('CLUSTER', 'INFO'));
  } finally {
    client.disconnect();
  }
}

/**
 * A Redis Cluster of `masters` test-owned `redis-server` processes on free loopback ports, no replicas.
 * `fullCoverage: false` keeps the other masters serving their slots while one is down (Redis' default,
 * `true`, makes the whole cluster refuse commands once a node is seen failing).
 */
export class TestRedisCluster {
  private constructor(readonly nodes: TestRedisServer[]) {}

  static async start(options: { masters?: number; nodeTimeoutMs?: number; fullCoverage?: boolean } = {}): Promise<TestRedisCluster> {
    const args = [
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
      '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 1000),
      '--cluster-require-full-coverage', options.fullCoverage === false ? 'no' : 'yes',
    ];
    const nodes = await Promise.all(Array.from({ length: options.masters ?? 3 }, () => TestRedisServer.start({ args })));
    const cluster = new TestRedisCluster(nodes);
    try {
      await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 15_000 });
      await cluster.waitUntilOk(15_000);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** `redis+cluster://` URL with every node as a seed. */
  get url(): string {
    return `redis+cluster://${this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`;
  }

  /** Waits until every running node reports `cluster_state:ok`. */
  async waitUntilOk(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(this.nodes.filter((n) => n.running).map((n) => clusterInfo(n.port).catch(() => '')));
      if (states.every((s) => s.includes('cluster_state:ok'))) return;
      if (Date.now() > deadline) throw new Error('cluster did not reach cluster_state:ok');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Kills every node and removes their directories. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
