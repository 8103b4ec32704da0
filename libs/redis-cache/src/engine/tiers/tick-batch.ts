/** One caller waiting in a {@link TickBatch}. */
interface Waiter<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers the calls made in one tick of the event loop and answers them with one call of `flush` (the
 * DataLoader pattern): the L2 reads of concurrent requests become one `MGET` instead of one `GET` each. A caller
 * alone in its tick is flushed alone. The flush runs on `process.nextTick`, before ioredis' auto-pipeline sends
 * (on `setImmediate`): a call is delayed past the rest of its tick, never sent ahead of a command issued
 * earlier in it.
 *
 * `flush` answers the items in their order — an `Error` in an item's place rejects that caller alone; if `flush`
 * rejects, every caller of that batch gets its error.
 */
export class TickBatch<I, O> {
  private pending: Array<Waiter<I, O>> = [];

  /** `max`: a batch that reaches this many calls is flushed at once (one command never holds Redis for long). */
  constructor(private readonly flush: (items: I[]) => Promise<Array<O | Error>>, private readonly max: number) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      if (this.pending.length === 0) process.nextTick(() => this.run());
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.max) this.run();
    });
  }

  private run(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    let answer: Promise<Array<O | Error>>;
    try {
      answer = this.flush(batch.map((w) => w.item));
    } catch (error) {
      answer = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    answer.then(
      (outputs) => {
        for (let i = 0; i < batch.length; i++) {
          const out = outputs[i];
          if (out instanceof Error) batch[i].reject(out);
          else batch[i].resolve(out);
        }
      },
      (error: unknown) => { for (const w of batch) w.reject(error); },
    );
  }
}
