/** One bounded call waiting in a {@link DeadlineQueue}. */
export interface Deadline {
  /** `performance.now()` at which the call expires. */
  readonly at: number;
  /** Set once the call settled or expired: the queue then skips it. */
  done: boolean;
  /** Called once, at the deadline, if the call has not settled by then. */
  readonly expire: () => void;
}

/**
 * Time bounds for many concurrent calls with one timer. Every call of a queue gets the same bound, so
 * deadlines arrive in insertion order: the queue is a FIFO, the timer only ever waits for its head, and a
 * call that settles just marks itself done (no `clearTimeout`, no timer-list insertion per call). Under
 * load the timer fires about once per bound instead of being armed and cleared for every call; each
 * expiry still happens at its own deadline (to the timer's millisecond resolution), so a frozen server is
 * cut off exactly as with a timer per call.
 */
export class DeadlineQueue {
  private queue: Deadline[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param boundMs the bound of every call.
   * @param onExpiryError told when an `expire` callback threw (it must not stop the other expiries).
   */
  constructor(private readonly boundMs: number, private readonly onExpiryError: (error: unknown) => void = () => undefined) {}

  /** Registers a call; `expire` runs at `now + boundMs` unless {@link settle} came first. */
  add(expire: () => void): Deadline {
    const entry: Deadline = { at: performance.now() + this.boundMs, done: false, expire };
    this.queue.push(entry);
    if (this.timer === undefined) this.arm(this.boundMs);
    return entry;
  }

  /** Marks a call settled: it will not expire. */
  settle(entry: Deadline): void {
    entry.done = true;
    // Drop settled calls at the head now, so a queue of fast calls never grows beyond the ones in flight.
    while (this.head < this.queue.length && this.queue[this.head].done) this.head += 1;
    this.compact();
  }

  /** Calls waiting (for tests and stats). */
  get pending(): number {
    let n = 0;
    for (let i = this.head; i < this.queue.length; i++) if (!this.queue[i].done) n += 1;
    return n;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(delayMs)));
    // A pending call keeps its socket (and the process) alive by itself; the timer must not add to that.
    this.timer.unref();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head];
      if (!entry.done && entry.at > now) break;
      this.head += 1;
      if (entry.done) continue;
      entry.done = true;
      try {
        entry.expire();
      } catch (error) {
        // An expiry only rejects a promise; nothing here may stop the other expiries.
        this.onExpiryError(error);
      }
    }
    this.compact();
    if (this.head < this.queue.length) this.arm(this.queue[this.head].at - now);
  };

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
