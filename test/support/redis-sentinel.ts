import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, TestRedisServer, waitForPort } from './redis-server.js';

/**
 * A Sentinel set-up owned by one test: one primary (`TestRedisServer`, so the test can kill or freeze it)
 * and one `redis-server --sentinel` monitoring it as master `masterName` with quorum 1, each on a free
 * loopback port. The sentinel's config is generated in a directory of its own (Sentinel rewrites it).
 * No replica: killing the primary leaves nothing to fail over to, which is the outage case.
 */
export class TestRedisSentinel {
  private sentinel?: ChildProcess;

  private constructor(
    readonly master: TestRedisServer,
    readonly sentinelPort: number,
    readonly masterName: string,
    private readonly dir: string,
  ) {}

  /** Starts the primary, then the sentinel, and waits until the sentinel names the primary. */
  static async start(masterName = 'm'): Promise<TestRedisSentinel> {
    const master = await TestRedisServer.start();
    const dir = mkdtempSync(join(tmpdir(), 'redis-sentinel-'));
    const setup = new TestRedisSentinel(master, await freePort(), masterName, dir);
    try {
      await setup.startSentinel();
    } catch (error) {
      await setup.stop();
      throw error;
    }
    return setup;
  }

  /** The engine's URL form: `redis+sentinel://127.0.0.1:<sentinelPort>/<masterName>`. */
  get url(): string {
    return `redis+sentinel://127.0.0.1:${this.sentinelPort}/${this.masterName}`;
  }

  private async startSentinel(): Promise<void> {
    const config = join(this.dir, 'sentinel.conf');
    writeFileSync(config, [
      `port ${this.sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${this.dir}`,
      `sentinel monitor ${this.masterName} 127.0.0.1 ${this.master.port} 1`,
      `sentinel down-after-milliseconds ${this.masterName} 1000`,
      '',
    ].join('\n'));
    this.sentinel = spawn('redis-server', [config, '--sentinel', '--loglevel', 'warning'], { stdio: 'ignore' });
    await waitForPort(this.sentinelPort, 5_000, 'sentinel');
  }

  /** Stops the sentinel and the primary, and removes the sentinel's directory; idempotent. */
  async stop(): Promise<void> {
    const child = this.sentinel;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await this.master.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
