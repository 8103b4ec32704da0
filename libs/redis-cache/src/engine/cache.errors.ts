/**
 * Errors raised by the engine. Each has a stable `code` for programmatic handling and keeps the underlying
 * error as `cause`. Messages never contain values or credentials.
 */
export class CacheError extends Error {
  /** Stable machine-readable code, e.g. `E_CACHE_TIMEOUT`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A Redis call did not settle within the engine's command timeout. */
export class CacheTimeoutError extends CacheError {
  constructor(operation: string, timeoutMs: number) {
    super('E_CACHE_TIMEOUT', `redis ${operation} did not settle within ${timeoutMs} ms`);
  }
}

/** The circuit breaker is open: Redis is skipped until the cool-down ends. */
export class CircuitOpenError extends CacheError {
  constructor(operation: string) {
    super('E_CACHE_CIRCUIT_OPEN', `redis ${operation} skipped: circuit open`);
  }
}

/** Redis is not configured or not connected; the call was not attempted. */
export class RedisUnavailableError extends CacheError {
  constructor(operation: string, cause?: unknown) {
    super('E_CACHE_REDIS_UNAVAILABLE', `redis ${operation} skipped: not connected`, { cause });
  }
}

/** A Redis command failed; the message is scrubbed of credentials. */
export class RedisCommandError extends CacheError {
  constructor(operation: string, message: string, cause?: unknown) {
    super('E_CACHE_REDIS_COMMAND', `redis ${operation} failed: ${message}`, { cause });
  }
}

/** The configuration given to the engine is invalid (e.g. an unparsable `REDIS_URL`). */
export class CacheConfigError extends CacheError {
  constructor(message: string) {
    super('E_CACHE_CONFIG', message);
  }
}

/** A `getOrLoad` loader exceeded its `hardLoadTimeoutMs` and no stale value was available to serve. */
export class CacheLoadTimeoutError extends CacheError {
  constructor(timeoutMs: number) {
    super('E_CACHE_LOAD_TIMEOUT', `cache loader did not settle within ${timeoutMs} ms`);
  }
}

/**
 * A strict write was refused because it could not be made safe for every instance: this instance has been
 * cut off from Redis (or its peers) for longer than its write window, so the others may already trust their
 * caches again and would not learn of it. Raised by `admitWrite` before anything changed; retry after
 * `retryAfterSeconds`. HTTP services answer it with `503` and `Retry-After`.
 */
export class CacheWriteRefusedError extends CacheError {
  constructor(
    message: string,
    /** A suggested wait before retrying, in whole seconds (at least 1). */
    readonly retryAfterSeconds: number,
  ) {
    super('E_CACHE_WRITE_REFUSED', message);
  }
}
