interface Flight {
  promise: Promise<unknown>;
  tags: readonly string[];
  /** The run that starts when this one settles, for callers that may not join this one (see `fresh`). */
  successor?: Promise<unknown>;
}

const ignore = (outcome: unknown): void => void outcome;

/**
 * Coalesces concurrent calls per key within one process: while a call for a key is in flight, further
 * callers share its promise instead of starting their own. The entry is removed when the call settles, so a
 * failure is shared by the callers that were waiting and the next caller tries afresh.
 *
 * An invalidation *forgets* matching flights: a caller arriving after an update must not join a load that
 * started before it (it would receive the old value), so it starts a new flight instead. The old flight
 * still settles for the callers that joined it.
 */
export class SingleFlight {
  private readonly inFlight = new Map<string, Flight>();

  /** Number of keys with a call in flight. */
  get size(): number {
    return this.inFlight.size;
  }

  /**
   * Runs `fn` for `key` unless a run is already in flight, in which case that run's promise is returned.
   * `onCoalesced` is called for every caller that joined an existing run; `tags` let {@link forgetTags} find it.
   *
   * `fresh`: the caller cannot hear invalidations right now (strict coherence without the bus), so a run
   * that started before it arrived may have read data an update has since replaced — and that update may
   * already be acknowledged elsewhere. Such a caller joins the run that starts when the current one settles
   * (with the first such caller's `fn`; later fresh callers join it too): still one run at a time per key,
   * but every result a fresh caller gets was loaded after it arrived.
   */
  run<T>(key: string, fn: () => Promise<T>, onCoalesced?: () => void, tags: readonly string[] = [], fresh = false): Promise<T> {
    const existing = this.inFlight.get(key);
    if (!existing) return this.start(key, fn, tags);
    onCoalesced?.();
    if (!fresh) return existing.promise as Promise<T>;
    existing.successor ??= existing.promise.then(ignore, ignore).then(() => {
      // A run started since the current one settled began after this caller arrived: joining it is safe.
      const now = this.inFlight.get(key);
      return now !== undefined && now !== existing ? now.promise : this.start(key, fn, tags);
    });
    return existing.successor as Promise<T>;
  }

  private start<T>(key: string, fn: () => Promise<T>, tags: readonly string[]): Promise<T> {
    const flight: Flight = { promise: Promise.resolve(), tags };
    flight.promise = (async () => {
      try {
        return await fn();
      } finally {
        if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, flight);
    return flight.promise as Promise<T>;
  }

  /** Later callers of `key` start a new run. */
  forget(key: string): void {
    this.inFlight.delete(key);
  }

  /** Later callers of keys starting with `prefix` start new runs. */
  forgetPrefix(prefix: string): void {
    for (const key of [...this.inFlight.keys()]) if (key.startsWith(prefix)) this.inFlight.delete(key);
  }

  /** Later callers of runs carrying any of `tags` start new runs. */
  forgetTags(tags: readonly string[]): void {
    for (const [key, flight] of [...this.inFlight]) if (flight.tags.some((tag) => tags.includes(tag))) this.inFlight.delete(key);
  }
}
