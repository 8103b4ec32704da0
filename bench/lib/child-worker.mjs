// A forked helper process that takes commands over IPC: the load generator and each library under test
// run in their own process, never in the harness's.
import { fork } from 'node:child_process';

/** A forked module answering `{ id, cmd, opts }` messages with `{ id, result | error }`. */
export class ChildWorker {
  constructor(modulePath, { timeoutMs = 300_000 } = {}) {
    this.timeoutMs = timeoutMs;
    this.child = fork(modulePath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.pending = new Map();
    this.nextId = 1;
    this.child.on('message', (msg) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.error) p.reject(new Error(msg.error));
      else p.resolve(msg.result);
    });
    this.child.on('exit', (code) => {
      for (const p of this.pending.values()) { clearTimeout(p.timer); p.reject(new Error(`worker exited (${code})`)); }
      this.pending.clear();
    });
  }

  /** Runs one command in the child; rejects if it does not answer within the worker's time bound. */
  run(cmd, opts) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${cmd} did not answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.child.send({ id, cmd, opts });
    });
  }

  /** Ends the child (disconnect, then SIGKILL if it lingers). */
  async close() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
