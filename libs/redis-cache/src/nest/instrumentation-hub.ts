import type { CacheInstrumentation } from '../engine/cache.types.js';

/**
 * Fans the engine's instrumentation out to observers attached after construction (a metrics exporter is
 * created by Nest after the cache it observes). With no observer attached it costs one empty loop.
 */
export class InstrumentationHub implements CacheInstrumentation {
  private observers: CacheInstrumentation[] = [];

  /** Attaches an observer; returns a function that detaches it. */
  attach(observer: CacheInstrumentation): () => void {
    this.observers = [...this.observers, observer];
    return () => {
      this.observers = this.observers.filter((o) => o !== observer);
    };
  }

  /** See {@link CacheInstrumentation.onCount}. */
  onCount(counter: string, by: number, group: string | undefined): void {
    for (const o of this.observers) o.onCount?.(counter, by, group);
  }

  /** See {@link CacheInstrumentation.onRedisCall}. */
  onRedisCall(operation: string, durationMs: number, outcome: 'ok' | 'error' | 'timeout' | 'rejected'): void {
    for (const o of this.observers) o.onRedisCall?.(operation, durationMs, outcome);
  }
}
