import type { CacheLogger } from '../cache.types.js';
import type { CacheStatsCounter } from '../cache-stats.js';
import { ignoreError } from '../ignored-error.js';
import type { BusInvalidation } from './bus-message.js';

/** Told of every change this instance learns of (see {@link ChangeHints}). */
export type ChangeListener = (change: BusInvalidation) => void;

/**
 * Where this instance hears that entries changed, for the change feed (`entry-watch.ts`): its own writes once
 * they are acknowledged (made safe for every instance), the other instances' as their invalidations arrive on
 * the bus (before this instance acks them, so before their writers acknowledge), and `clear` whenever L1 is
 * dropped because messages may have been missed. A change is a hint, not a value: a listener reads the entry
 * through the cache to learn what it now holds, so it never learns less than a read would.
 */
export class ChangeHints {
  private readonly listeners = new Set<ChangeListener>();

  constructor(private readonly sinks: { stats: Pick<CacheStatsCounter, 'increment'>; logger?: CacheLogger }) {}

  /** Adds a listener; returns the function that removes it. */
  listen(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells every listener, synchronously; a listener that throws is counted and logged, the others still run. */
  emit(change: BusInvalidation): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        ignoreError(error, 'change listener threw (the others still run)', this.sinks);
      }
    }
  }
}

/**
 * Whether `change` may have changed the entry under physical key `pk`. A hint names tags, not the entries that
 * carry them: it concerns every entry unless `untagged` says this one carries none.
 */
export function concerns(change: BusInvalidation, pk: string, untagged: () => boolean = () => false): boolean {
  switch (change.op) {
    case 'keys':
      return change.keys.includes(pk);
    case 'prefix':
      return pk.startsWith(change.prefix);
    case 'tags':
      return !untagged();
    case 'clear':
      return true;
    case 'many':
      return change.parts.some((part) => concerns(part, pk, untagged));
  }
}
