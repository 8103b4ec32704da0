import { type ChildProcess, spawn } from 'node:child_process';
import { reapOnExit } from './child-reaper.js';
import { HttpClient } from './http-load.js';
import { freePort, waitForPort } from './redis-server.js';

const LOG_LINES_KEPT = 400;

/**
 * One instance of the built jobs API (`node dist/…/main.js`) in its own OS process: its own event loop,
 * connections, L1 and bus subscriber, as in production. Its stdout and stderr are kept (the last 400
 * lines) for the test to print when a case fails. Stopped by PID: `stop()` sends SIGTERM (a clean leave,
 * Nest's shutdown hooks run) and SIGKILLs it if it has not exited in time; `crash()` SIGKILLs at once.
 */
export class AppProcess {
  private readonly lines: string[] = [];
  private readonly exited: Promise<void>;
  /** A keep-alive HTTP client on this instance. */
  readonly client: HttpClient;

  private constructor(readonly name: string, readonly port: number, private readonly child: ChildProcess) {
    this.client = new HttpClient(`http://127.0.0.1:${port}`, 64);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const keep = (stream: string) => (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.lines.push(`[${name} ${stream}] ${line}`);
        if (this.lines.length > LOG_LINES_KEPT) this.lines.shift();
      }
    };
    child.stdout?.on('data', keep('out'));
    child.stderr?.on('data', keep('err'));
    child.once('exit', (code, signal) => this.lines.push(`[${name}] exited (code ${code}, signal ${signal})`));
  }

  /**
   * Spawns `node <main>` with only the given environment (plus `PATH`, `PORT`, `HOST`), and resolves once
   * `GET /health` answers (any status: PostgreSQL or Redis may be down on purpose). Rejects, after killing
   * the child, if it exits or does not answer within `timeoutMs`.
   */
  static async start(main: string, name: string, env: Record<string, string>, timeoutMs = 30_000): Promise<AppProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [main], {
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    reapOnExit(child);
    const app = new AppProcess(name, port, child);
    try {
      await waitForPort(port, timeoutMs, name, () => app.running);
      // The port may first belong to the app's own start-up check (it binds the port for a moment to report a
      // taken one): ask /health until the app itself answers.
      const deadline = Date.now() + timeoutMs;
      let health = await app.client.send('GET', '/health', { timeoutMs: 5_000 });
      while (health.status === 0 && app.running && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        health = await app.client.send('GET', '/health', { timeoutMs: 5_000 });
      }
      if (health.status === 0) throw new Error(`${name}: /health did not answer (${health.body})`);
    } catch (error) {
      await app.crash();
      throw new Error(`${(error as Error).message}\n${app.logs().join('\n')}`, { cause: error });
    }
    return app;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the process wrote. */
  logs(): string[] {
    return [...this.lines];
  }

  /** SIGTERM (a clean leave); SIGKILL after `graceMs` if it is still running. Idempotent. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.running && this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.client.close();
  }

  /** SIGKILL: a crash, no shutdown hook runs. Idempotent. */
  async crash(): Promise<void> {
    if (this.running) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    this.client.close();
  }
}
