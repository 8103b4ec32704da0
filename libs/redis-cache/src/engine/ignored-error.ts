import type { CacheStatsCounter } from './cache-stats.js';
import type { CacheLogger } from './cache.types.js';

/**
 * The one place where an error is deliberately not propagated: it is counted (`errors` in the stats, when a
 * counter is given) and written to the debug log with what was being done, never with a value or a secret.
 * Use it instead of an empty `catch`; the linter refuses `catch (error) { void error; }`.
 *
 * @param what what failed and why ignoring it is right, e.g. `'bus message not JSON (ignored)'`.
 *
 * @example
 * try { parsed = JSON.parse(raw); } catch (error) { ignoreError(error, 'bus message not JSON', { stats, logger }); return undefined; }
 */
export function ignoreError(
  error: unknown,
  what: string,
  sinks: { stats?: Pick<CacheStatsCounter, 'increment'>; logger?: CacheLogger } = {},
): void {
  sinks.stats?.increment('errors');
  sinks.logger?.debug?.(`cache ${what}: ${error instanceof Error ? error.name : typeof error}`);
}
