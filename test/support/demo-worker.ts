import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DEMO_SCRIPT = fileURLToPath(new URL('../../scripts/demo.mjs', import.meta.url));

/** How `npm run demo` ended. */
export interface DemoRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `scripts/demo.mjs` (what `npm run demo` runs) with `args` as its own process; killed (by its pid) if
 * it outlives `timeoutMs`. `ADMIN_TOKEN` is removed from its environment unless given in `env`.
 */
export function runDemo(args: readonly string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<DemoRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  if (options.env?.ADMIN_TOKEN === undefined) delete env.ADMIN_TOKEN;
  const child = spawn(process.execPath, [DEMO_SCRIPT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
