import type { Socket } from 'node:net';

/**
 * One direction of a delayed TCP link: every chunk is written `delayMs` after it arrived, and never before a
 * chunk that arrived earlier, even when the delay shrinks meanwhile (a reordered byte stream is not a slow
 * link but a corrupt one: a Redis client would pair replies with the wrong commands).
 */
export class OrderedDelay {
  private readonly queue: Array<{ due: number; chunk: Buffer }> = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly to: Socket) {}

  /** Queues `chunk` for `delayMs` (written at once when nothing is queued and the delay is 0). */
  push(chunk: Buffer, delayMs: number): void {
    const now = performance.now();
    if (this.queue.length === 0 && delayMs <= 0) {
      this.write(chunk);
      return;
    }
    const due = Math.max(now + delayMs, this.queue.at(-1)?.due ?? 0);
    this.queue.push({ due, chunk });
    this.schedule();
  }

  /** Drops what is queued (the connection is gone). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, Math.max(0, this.queue[0].due - performance.now()));
  }

  private flush(): void {
    // Timers may fire up to a millisecond early by this clock.
    const now = performance.now() + 1;
    while (this.queue.length > 0 && this.queue[0].due <= now) this.write(this.queue.shift()!.chunk);
    this.schedule();
  }

  private write(chunk: Buffer): void {
    if (!this.to.destroyed) this.to.write(chunk);
  }
}
