import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { reapOnExit } from './child-reaper.js';

/** Asks the kernel for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Resolves once something accepts connections on loopback `port`; throws after `timeoutMs`, or as soon as
 * `alive()` says the process that should listen is gone.
 */
export async function waitForPort(port: number, timeoutMs: number, what = 'redis-server', alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error(`${what} exited before listening on ${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} on ${port} did not start in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A `redis-server` owned by one test: its own port and directory, nothing persisted unless asked (a `SAVE`
 * writes `dump.rdb` into {@link dir}, which a restart loads). The test can kill it, freeze it (SIGSTOP),
 * resume it and start it again on the same port. With `password`, clients must authenticate
 * (`--requirepass`; {@link url} and {@link admin} carry it).
 */
export class TestRedisServer {
  private process?: ChildProcess;
  /** The server's working directory (`dump.rdb` lives here). */
  readonly dir = mkdtempSync(join(tmpdir(), 'redis-test-'));

  private constructor(readonly port: number, private readonly extraArgs: string[], readonly password?: string) {}

  /**
   * Starts a server on a free port (or `port`); `extraArgs` go to redis-server as `--name value` pairs;
   * `password` sets `--requirepass` (and `--masterauth`, so the server can also follow a master that
   * requires the same password).
   */
  static async start(options: { port?: number; args?: string[]; password?: string } = {}): Promise<TestRedisServer> {
    const auth = options.password === undefined ? [] : ['--requirepass', options.password, '--masterauth', options.password];
    const server = new TestRedisServer(options.port ?? (await freePort()), [...auth, ...(options.args ?? [])], options.password);
    await server.startProcess();
    return server;
  }

  get url(): string {
    return this.password === undefined ? `redis://127.0.0.1:${this.port}` : `redis://:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}`;
  }

  /** `dump.rdb` in {@link dir}: where `SAVE` writes and where a (re)start loads from. */
  get dumpPath(): string {
    return join(this.dir, 'dump.rdb');
  }

  /**
   * A new client for the test's own admin commands (authenticated as `default`), failing fast; the caller
   * disconnects it.
   */
  admin(): Redis {
    return new Redis({
      host: '127.0.0.1', port: this.port, password: this.password, lazyConnect: false,
      maxRetriesPerRequest: 0, enableOfflineQueue: true, commandTimeout: 5_000, retryStrategy: () => null,
    });
  }

  /** Runs one command on a short-lived admin connection and returns its reply. */
  async command(name: string, ...args: Array<string | number>): Promise<unknown> {
    const client = this.admin();
    try {
      return await client.call(name, ...args);
    } finally {
      client.disconnect();
    }
  }

  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  private async startProcess(): Promise<void> {
    const args = [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', this.dir, '--daemonize', 'no', '--loglevel', 'warning', ...this.extraArgs,
    ];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.process = child;
    reapOnExit(child);
    try {
      await waitForPort(this.port, 5_000, 'redis-server', () => this.running);
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  /** SIGKILL: connections drop at once, data is gone. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP: the port stays open and accepts connections, but nothing is ever answered. */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  /** SIGCONT after {@link pause}. */
  resume(): void {
    this.process?.kill('SIGCONT');
  }

  /** Starts the server again on the same port: empty, unless a `dump.rdb` was saved into {@link dir}. */
  async restart(): Promise<void> {
    await this.kill();
    await this.startProcess();
  }

  /** Kills the server and removes its directory. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
