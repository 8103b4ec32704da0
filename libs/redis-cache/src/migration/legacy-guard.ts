import { CircuitBreaker } from '../engine/circuit-breaker.js';
import type { CacheLogger } from '../engine/cache.types.js';
import { LegacyCircuitOpenError, LegacySourceError, LegacyTimeoutError } from './migration.errors.js';

/** Legacy operations, as counted and logged. */
export type LegacyOperation = 'get' | 'set' | 'delete';

/** Options of {@link LegacyGuard}. */
export interface LegacyGuardOptions {
  timeoutMs: number;
  failureThreshold: number;
  cooldownMs: number;
  source: string;
  namespace: string;
  logger?: CacheLogger;
  onFailure: (operation: LegacyOperation, error: Error) => void;
}

/**
 * The one path of every legacy call: a time bound whose timer is always cleared, a circuit breaker so a
 * dead legacy store costs nothing after a few failures, and one log line per failure with the operation
 * and namespace (never the key's value or the store's URL). Resolves `{ ok: false }` instead of throwing:
 * the caller decides the documented fallback.
 */
export class LegacyGuard {
  private readonly breaker: CircuitBreaker;

  constructor(private readonly options: LegacyGuardOptions) {
    this.breaker = new CircuitBreaker({
      failureThreshold: options.failureThreshold,
      cooldownMs: options.cooldownMs,
      onStateChange: (from, to) => options.logger?.warn(`legacy cache ${options.source} (${options.namespace}): circuit ${from} → ${to}`),
    });
  }

  /** State of the breaker in front of the legacy store. */
  get circuit(): CircuitBreaker['state'] {
    return this.breaker.state;
  }

  /** Runs `call` bounded in time; never rejects. */
  async run<T>(operation: LegacyOperation, call: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: Error }> {
    if (!this.breaker.tryAcquire()) return this.fail(operation, new LegacyCircuitOpenError(operation), false);
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new LegacyTimeoutError(operation, this.options.timeoutMs)), this.options.timeoutMs);
      });
      const value = await Promise.race([call(), timeout]);
      this.breaker.success();
      return { ok: true, value };
    } catch (error) {
      this.breaker.failure();
      const wrapped = error instanceof LegacyTimeoutError ? error : new LegacySourceError(operation, this.options.source, error);
      return this.fail(operation, wrapped, true);
    } finally {
      clearTimeout(timer);
    }
  }

  private fail(operation: LegacyOperation, error: Error, log: boolean): { ok: false; error: Error } {
    // While the circuit is open every call would log: the transition line above already said it.
    if (log) {
      const cause = error.cause instanceof Error ? ` (${error.cause.name}: ${scrub(error.cause.message)})` : '';
      this.options.logger?.warn(`${error.message} for namespace ${this.options.namespace}${cause}`);
    }
    this.options.onFailure(operation, error);
    return { ok: false, error };
  }
}

/** Drivers put connection strings in some messages: keep the scheme and host, never a password. */
function scrub(message: string): string {
  return message.replace(/\/\/[^@/\s]*@/g, '//***@').slice(0, 200);
}
