import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let hooked = false;

/**
 * Registers a child process the test owns, so that it is SIGKILLed if the test process exits without having
 * stopped it (a crash, a worker torn down mid-test). Normal teardown still stops children by PID in
 * `afterAll`; this is the last line, and it never touches a process this test did not start.
 */
export function reapOnExit(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
}
