// A redis-server owned by the harness (scenario 5 kills and restarts it): own port, own directory,
// nothing persisted. The .mjs twin of test/support/redis-server.ts.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.mjs';

async function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A private redis-server on a spare loopback port. */
export class BenchRedisServer {
  constructor(port) {
    this.port = port;
    this.dir = mkdtempSync(join(tmpdir(), 'redis-bench-'));
    this.child = undefined;
  }

  /** Starts a server on a free port. */
  static async start() {
    const server = new BenchRedisServer(await freePort());
    await server.startProcess();
    return server;
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running() {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async startProcess() {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', this.dir, '--daemonize', 'no', '--loglevel', 'warning'];
    this.child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitForPort(this.port, 5000);
  }

  /** SIGKILL: every connection drops at once, the data is gone. */
  async kill() {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts again on the same port, empty. */
  async restart() {
    await this.kill();
    await this.startProcess();
  }

  /** Kills the server and removes its directory. */
  async stop() {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
