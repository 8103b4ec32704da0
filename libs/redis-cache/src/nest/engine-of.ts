import type { CacheEngine } from '../engine/cache-engine.js';

/**
 * The engine behind a `CacheService`, for the library's own Nest layer only (the HTTP fast path reads L1
 * through `peekEntryJson` and counts through `recordHit`). Not exported from the package: that plumbing is
 * not part of the public surface.
 */
const engines = new WeakMap<object, CacheEngine>();

/** Records the engine a facade composes (called by its constructor). */
export function registerEngine(facade: object, engine: CacheEngine): void {
  engines.set(facade, engine);
}

/** The engine composed by `facade`; throws for an object that is not a `CacheService`. */
export function engineOf(facade: object): CacheEngine {
  const engine = engines.get(facade);
  if (engine === undefined) throw new TypeError('not a CacheService of nestjs-tiered-cache');
  return engine;
}
