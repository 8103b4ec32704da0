// Child processes of the dashboard snapshot: a free port, a process we start and stop by its pid.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `command` and registers it in `children` at once (so a failed start is still stopped); resolves once
 * `ready(text so far)` — or the async `probe()` — holds; rejects if it exits first or after `timeoutMs`.
 */
export function startProcess(children, command, args, { env = {}, cwd, ready = () => false, probe, timeoutMs = 60_000, name = command }) {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(poller);
      if (error) reject(error);
      else resolve(child);
    };
    const timer = setTimeout(() => settle(new Error(`${name} not ready within ${timeoutMs} ms:\n${output.slice(-2000)}`)), timeoutMs);
    const poller = probe && setInterval(() => probe().then((ok) => ok && settle(), () => undefined), 250);
    const onData = (chunk) => {
      if (output.length < 100_000) output += chunk.toString();
      if (ready(output)) settle();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => settle(new Error(`${name} exited with ${code} before it was ready:\n${output.slice(-2000)}`)));
  });
}

/** Stops a child we started (SIGTERM, then SIGKILL after 5 s) and waits for it. */
export async function stopProcess(child) {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
