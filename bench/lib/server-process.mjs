// One HTTP variant = one OS process on its own loopback port. We keep the tail of its output so a variant
// that dies or never gets ready is reported with its own words, and we always stop what we started.
import { spawn } from 'node:child_process';
import { freePort, waitForHttp } from './net.mjs';
import { progress } from './log.mjs';

const live = new Set();

/** A running variant server. */
export class ServerProcess {
  constructor(name, child, port) {
    this.name = name;
    this.child = child;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.output = [];
    const keep = (chunk) => {
      this.output.push(chunk.toString());
      if (this.output.length > 40) this.output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  get alive() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the process printed (for error reports). */
  tail() {
    return this.output.join('').split('\n').slice(-15).join('\n');
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 3000) {
    live.delete(this);
    if (!this.alive) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Starts `node <script>` with `env` (plus PORT/HOST) and waits until `readyPath` answers 200.
 * `nodeArgs` lets a caller add `--cpu-prof` and friends.
 */
export async function startServer(name, script, { env = {}, readyPath = '/health', nodeArgs = [], timeoutMs = 45_000 } = {}) {
  const port = await freePort();
  const merged = { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  const child = spawn(process.execPath, [...nodeArgs, script], {
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server = new ServerProcess(name, child, port);
  live.add(server);
  try {
    await waitForHttp(`${server.url}${readyPath}`, { timeoutMs, isAlive: () => server.alive });
  } catch (error) {
    const tail = server.tail();
    await server.stop();
    throw new Error(`${name} did not start: ${error instanceof Error ? error.message : String(error)}\n${tail}`, { cause: error });
  }
  progress(`started ${name} (pid ${child.pid}) on :${port}`);
  return server;
}

/** Stops every server still running (harness shutdown, also on error). */
export async function stopAllServers() {
  await Promise.all([...live].map((s) => s.stop()));
}
