import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { TestRedisServer } from './redis-server.js';

const run = promisify(execFile);

/** One line of `CLUSTER NODES`, as the tests need it. */
export interface ClusterNodeView {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** For a replica: the id of its master. */
  masterId?: string;
  /** Slot ranges served (masters), as printed (`0-5460`). */
  slots: string[];
  /** Flagged `fail` or `fail?` by the node asked. */
  failing: boolean;
}

async function ask(port: number, password: string | undefined, ...command: string[]): Promise<string> {
  const client = new Redis({ host: '127.0.0.1', port, password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 1000 });
  try {
    await client.connect();
    return String(await client.call(command[0], ...command.slice(1)));
  } finally {
    client.disconnect();
  }
}

/** Parses `CLUSTER NODES`. */
function parseNodes(text: string): ClusterNodeView[] {
  return text.trim().split('\n').filter(Boolean).map((line) => {
    const [id, address, flags, master, , , , , ...slots] = line.split(' ');
    const port = Number(address.split('@')[0].split(':')[1]);
    const flagList = flags.split(',');
    const role = flagList.includes('master') ? 'master' : 'replica';
    return {
      id, port, role, masterId: master === '-' ? undefined : master,
      slots: slots.filter((s) => !s.startsWith('[')),
      failing: flagList.includes('fail') || flagList.includes('fail?'),
    };
  });
}

/**
 * A Redis Cluster of test-owned `redis-server` processes on free loopback ports: `masters` masters and
 * `replicasPerMaster` replicas of each (none by default). `fullCoverage: false` keeps the other masters
 * serving their slots while one is down (Redis' default, `true`, makes the whole cluster refuse commands
 * once a node is seen failing). With `password`, every node requires it (and replicas use it towards their
 * master).
 */
export class TestRedisCluster {
  private constructor(readonly nodes: TestRedisServer[], readonly password?: string) {}

  static async start(options: { masters?: number; replicasPerMaster?: number; nodeTimeoutMs?: number; fullCoverage?: boolean; password?: string } = {}): Promise<TestRedisCluster> {
    const args = [
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
      '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 1000),
      '--cluster-require-full-coverage', options.fullCoverage === false ? 'no' : 'yes',
    ];
    const replicas = options.replicasPerMaster ?? 0;
    const count = (options.masters ?? 3) * (1 + replicas);
    const nodes = await Promise.all(Array.from({ length: count }, () => TestRedisServer.start({ args, password: options.password })));
    const cluster = new TestRedisCluster(nodes, options.password);
    try {
      const auth = options.password === undefined ? [] : ['-a', options.password, '--no-auth-warning'];
      await run('redis-cli', [...auth, '--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicas), '--cluster-yes'], { timeout: 15_000 });
      await cluster.waitUntilOk(15_000);
      if (replicas > 0) await cluster.waitForReplicas(15_000);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** `redis+cluster://` URL with every node as a seed (and the password, when there is one). */
  get url(): string {
    const auth = this.password === undefined ? '' : `:${encodeURIComponent(this.password)}@`;
    return `redis+cluster://${auth}${this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`;
  }

  /** The node listening on `port`. */
  node(port: number): TestRedisServer {
    const node = this.nodes.find((n) => n.port === port);
    if (node === undefined) throw new Error(`no cluster node on port ${port}`);
    return node;
  }

  /** `CLUSTER NODES` as seen by the first running node other than `except`. */
  async topology(exceptPort?: number): Promise<ClusterNodeView[]> {
    const asked = this.nodes.find((n) => n.running && n.port !== exceptPort);
    if (asked === undefined) throw new Error('no running cluster node');
    return parseNodes(await ask(asked.port, this.password, 'CLUSTER', 'NODES'));
  }

  /** Waits until every running node reports `cluster_state:ok`. */
  async waitUntilOk(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(this.nodes.filter((n) => n.running).map((n) => ask(n.port, this.password, 'CLUSTER', 'INFO').catch(() => '')));
      if (states.every((s) => s.includes('cluster_state:ok'))) return;
      if (Date.now() > deadline) throw new Error('cluster did not reach cluster_state:ok');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits until every replica reports its master link up (so it holds a full copy to start from). */
  async waitForReplicas(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const replicas = (await this.topology()).filter((n) => n.role === 'replica');
      const links = await Promise.all(replicas.map((r) => ask(r.port, this.password, 'INFO', 'replication').catch(() => '')));
      if (replicas.length > 0 && links.every((l) => l.includes('master_link_status:up'))) return;
      if (Date.now() > deadline) throw new Error('cluster replicas did not sync');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Kills every node and removes their directories. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
