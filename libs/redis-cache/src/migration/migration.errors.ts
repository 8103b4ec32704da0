import { CacheError } from '../engine/cache.errors.js';

/** A legacy store call failed; `operation` is `get`, `set`, `delete` or `walk`. Never carries a value. */
export class LegacySourceError extends CacheError {
  constructor(readonly operation: string, source: string, cause?: unknown) {
    super('E_CACHE_LEGACY', `legacy ${source} ${operation} failed`, { cause });
  }
}

/** A legacy store call did not settle within the migrating cache's `legacyTimeoutMs`. */
export class LegacyTimeoutError extends CacheError {
  constructor(readonly operation: string, timeoutMs: number) {
    super('E_CACHE_LEGACY_TIMEOUT', `legacy ${operation} did not settle within ${timeoutMs} ms`);
  }
}

/** The legacy store is skipped while its circuit is open. */
export class LegacyCircuitOpenError extends CacheError {
  constructor(readonly operation: string) {
    super('E_CACHE_LEGACY_CIRCUIT_OPEN', `legacy ${operation} skipped: circuit open`);
  }
}

/** A migration setting is invalid (a phase name, an identifier, a legacy spec, a CLI flag). */
export class MigrationConfigError extends CacheError {
  constructor(message: string, cause?: unknown) {
    super('E_CACHE_MIGRATION_CONFIG', message, { cause });
  }
}
