import { CacheLoadTimeoutError, type CacheResult, type GetOrLoadOptions } from '@app/redis-cache';

/** One `getOrLoad` through some cache, with the loader it should call on a miss. */
export type CacheLoadCall<T> = (loader: () => Promise<T | undefined>, options: GetOrLoadOptions<T>) => Promise<CacheResult<T>>;

/**
 * A load timeout that is only ever *soft*. The engine's `loadTimeoutMs` serves a stale entry (within the
 * grace period) once the loader has run that long, and otherwise rejects with `CacheLoadTimeoutError`.
 * For the jobs API a slow database must not turn every cold poll into an error at 500 ms: the database's
 * own bounds (`statement_timeout`, the pool's acquire timeout) are the hard timeout and answer `503`.
 *
 * So a cold caller the engine timed out waits for the load already under way (the engine keeps it running
 * in the background to fill the cache) instead of failing or starting a second query: one database query
 * per key, whatever the timeout. Loads are tracked per key only while they run.
 */
export class SoftLoadTimeout {
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(
    /** Past this many ms a stale entry is served; `0` = no soft timeout. */
    private readonly timeoutMs: number,
  ) {}

  /** Runs `call` for `key` with the soft timeout; resolves like `getOrLoad`, rejects only with the loader's error. */
  async run<T>(key: string, loader: () => Promise<T | undefined>, options: GetOrLoadOptions<T>, call: CacheLoadCall<T>): Promise<CacheResult<T>> {
    if (this.timeoutMs <= 0) return call(loader, options);
    const tracked = (): Promise<T | undefined> => {
      const loading = loader();
      this.inflight.set(key, loading);
      const forget = (): void => {
        if (this.inflight.get(key) === loading) this.inflight.delete(key);
      };
      // Settles with the load; the load's own rejection is handled by the engine and by the waiters below.
      void loading.then(forget, forget);
      return loading;
    };
    try {
      return await call(tracked, { ...options, loadTimeoutMs: this.timeoutMs });
    } catch (error) {
      if (!(error instanceof CacheLoadTimeoutError)) throw error;
      // No stale entry to serve. Wait for the load under way (ours, or the single-flight leader's).
      const loading = this.inflight.get(key) as Promise<T | undefined> | undefined;
      // Already settled (or never started here): it filled the cache, or failing that we load without a bound.
      if (loading === undefined) return call(loader, { ...options, loadTimeoutMs: 0 });
      const value = await loading;
      return { value, source: 'loader', storedAt: Date.now(), version: value === undefined ? undefined : options.version?.(value) };
    }
  }
}
