// The load generator: lib/load-worker.mjs in its own process (autocannon, bursts, the progress worker).
import { fileURLToPath } from 'node:url';
import { ChildWorker } from './child-worker.mjs';

const workerPath = fileURLToPath(new URL('./load-worker.mjs', import.meta.url));

/** A load-generating child process. */
export class LoadGenerator extends ChildWorker {
  constructor() {
    super(workerPath, { timeoutMs: 180_000 });
  }
}
