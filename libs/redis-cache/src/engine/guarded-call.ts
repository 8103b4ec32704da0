import { CacheError, CacheTimeoutError, CircuitOpenError, RedisCommandError, RedisUnavailableError } from './cache.errors.js';
import type { CacheStatsCounter } from './cache-stats.js';
import type { CacheLogger } from './cache.types.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { DeadlineQueue } from './deadline-queue.js';
import { ignoreError } from './ignored-error.js';
import { scrubSecrets } from './redis-connection.js';

/** Options of {@link GuardedCall}. */
export interface GuardedCallOptions {
  timeoutMs: number;
  breaker: CircuitBreaker;
  stats: CacheStatsCounter;
  logger?: CacheLogger;
  secrets: readonly string[];
  /** Whether the client is connected now; calls while it is not fail at once instead of waiting. */
  isConnected: () => boolean;
  /** Told about every connectivity failure (not about errors Redis itself answered with). */
  onFailure?: (error: CacheError) => void;
  /** Minimum ms between two log lines for the same operation (a storm logs once, then a count). */
  logIntervalMs?: number;
}

/** Per-call flags. */
export interface GuardedCallFlags {
  /** Run even while the circuit is open (the recovery probe after a reconnect). */
  bypassBreaker?: boolean;
}

/** Errors Redis answered with (WRONGTYPE, script errors): the server is healthy, so the breaker is not fed. */
const isReplyError = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ReplyError';

/**
 * The one path every Redis call takes. It refuses at once while the circuit is open or the client is
 * disconnected, bounds the call with its own deadline (covering a frozen server, scripts and scans, beyond
 * ioredis' `commandTimeout`; one shared timer for all calls, see {@link DeadlineQueue}), counts errors and
 * timeouts, feeds the breaker, and logs one line per operation and key — never a value or a credential, and at most once per `logIntervalMs` per operation.
 * It always rejects with a {@link CacheError}; the caller decides the fallback.
 */
export class GuardedCall {
  private readonly lastLog = new Map<string, { at: number; suppressed: number }>();
  private readonly deadlines: DeadlineQueue;

  constructor(private readonly options: GuardedCallOptions) {
    this.deadlines = new DeadlineQueue(options.timeoutMs, (error) => ignoreError(error, 'deadline expiry callback threw', options));
  }

  /**
   * Runs `fn` (one Redis round trip, or a bounded batch) under the guard. `key` is for the log line only.
   * `map`, if given, turns Redis' answer into the result inside the guard's own callback — one promise step
   * fewer than a `.then` on the result (the read path of every L2 hit takes it); what it throws rejects the
   * call, and is not a Redis failure (the breaker already counted the answer as a success).
   */
  run<T, R = T>(operation: string, key: string | undefined, fn: () => Promise<T>, flags: GuardedCallFlags = {}, map?: (answer: T) => R): Promise<R> {
    const { breaker, stats } = this.options;
    if (!flags.bypassBreaker && !breaker.tryAcquire()) {
      stats.observeRedisCall(operation, 0, 'rejected');
      return Promise.reject(new CircuitOpenError(operation));
    }
    if (!this.options.isConnected()) {
      stats.observeRedisCall(operation, 0, 'rejected');
      const error = new RedisUnavailableError(operation);
      this.fail(error, operation, key, !flags.bypassBreaker);
      return Promise.reject(error);
    }
    const started = stats.timesRedisCalls ? performance.now() : 0;
    let call: Promise<T>;
    try {
      call = fn();
    } catch (error) {
      call = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    // One promise and one queue entry per call (no timer per call, no race): the hot path of every L2 read.
    return new Promise<R>((resolve, reject) => {
      const deadline = this.deadlines.add(() => {
        // The losing call may still settle later; it has nobody to tell.
        this.failed(new CacheTimeoutError(operation, this.options.timeoutMs), operation, key, started, reject);
      });
      call.then((result) => {
        if (deadline.done) return;
        this.deadlines.settle(deadline);
        breaker.success();
        if (stats.timesRedisCalls) stats.observeRedisCall(operation, performance.now() - started, 'ok');
        if (map === undefined) {
          resolve(result as unknown as R);
          return;
        }
        try {
          resolve(map(result));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      }, (raw: unknown) => {
        if (deadline.done) return;
        this.deadlines.settle(deadline);
        this.failed(raw, operation, key, started, reject);
      });
    });
  }

  private failed(raw: unknown, operation: string, key: string | undefined, started: number, reject: (error: CacheError) => void): void {
    const { breaker, stats, timeoutMs } = this.options;
    const elapsed = stats.timesRedisCalls ? performance.now() - started : 0;
    if (isReplyError(raw)) {
      // Redis answered: healthy connection, a bad request. Counted and logged, breaker untouched.
      breaker.success();
      stats.increment('errors');
      stats.observeRedisCall(operation, elapsed, 'error');
      const error = new RedisCommandError(operation, this.scrub(raw), raw);
      this.log(operation, key, error);
      reject(error);
      return;
    }
    const error = raw instanceof CacheTimeoutError || (raw instanceof Error && /timed out/i.test(raw.message))
      ? new CacheTimeoutError(operation, timeoutMs)
      : new RedisCommandError(operation, this.scrub(raw), raw);
    stats.observeRedisCall(operation, elapsed, error instanceof CacheTimeoutError ? 'timeout' : 'error');
    this.fail(error, operation, key, true);
    reject(error);
  }

  private fail(error: CacheError, operation: string, key: string | undefined, feedBreaker: boolean): void {
    if (error instanceof CacheTimeoutError) this.options.stats.increment('timeouts');
    this.options.stats.increment('errors');
    if (feedBreaker) this.options.breaker.failure();
    this.options.onFailure?.(error);
    this.log(operation, key, error);
  }

  private scrub(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    return scrubSecrets(message, this.options.secrets);
  }

  private log(operation: string, key: string | undefined, error: CacheError): void {
    const logger = this.options.logger;
    if (!logger) return;
    const now = Date.now();
    const last = this.lastLog.get(operation);
    if (last && now - last.at < (this.options.logIntervalMs ?? 1000)) {
      last.suppressed += 1;
      return;
    }
    const suppressed = last?.suppressed ? ` (${last.suppressed} similar suppressed)` : '';
    this.lastLog.set(operation, { at: now, suppressed: 0 });
    // The key is logical-ish (encoded parts), never a value; the message is scrubbed of credentials.
    logger.warn(`cache ${operation}${key ? ` ${key}` : ''}: ${error.code} ${scrubSecrets(error.message, this.options.secrets)}${suppressed}`);
  }
}
