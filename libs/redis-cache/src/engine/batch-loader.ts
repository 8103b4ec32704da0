import type { CacheResult } from './cache.types.js';

/** The loader of `getOrLoadMany`: values for `keys`, in their order (`undefined` = not found). */
export type ManyLoader<T> = (keys: string[]) => Promise<ReadonlyArray<T | undefined>>;

/**
 * Reads or loads one key the way `getOrLoad` does; calls `onJoined` when it joined a load already in flight
 * (then its own loader runs only in the rare case a fresh caller starts the next load, see `SingleFlight`).
 */
export type LoadOne<T> = (key: string, loader: () => Promise<T | undefined>, onJoined?: () => void) => Promise<CacheResult<T>>;

interface Waiter<T> {
  resolve: (value: T | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * `getOrLoadMany`: every key goes through `getOrLoad` — so each keeps its semantics (L1, L2, versions, tags,
 * negative caching, leases, single flight with concurrent callers of the same key, strict coherence) — but
 * the per-key loaders are gathered, and `loader` is called once with every key that missed. It is called
 * when each key has either asked for its value or been answered without (a hit, or a load it joined), so
 * it sees exactly the misses. A key asking after that (a refresh-ahead started by a hit) gets a call of its
 * own. Keys listed twice are read once and share their result. Rejects with the first key's error, as
 * `Promise.all`; the other keys still finish (and are cached).
 */
export async function loadMany<T>(keys: readonly string[], loader: ManyLoader<T>, loadOne: LoadOne<T>): Promise<Array<CacheResult<T>>> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return [];
  const batch = new LoaderBatch<T>(loader, unique);
  const results = await Promise.all(unique.map((key) => {
    const one = loadOne(key, () => batch.request(key), () => batch.account(key));
    // Answered without asking (a hit): accounted for. Its outcome is reported by Promise.all.
    one.then(() => batch.account(key), () => batch.account(key));
    return one;
  }));
  const byKey = new Map(unique.map((key, i) => [key, results[i]]));
  return keys.map((key) => byKey.get(key)!);
}

/** The misses of one `getOrLoadMany`, gathered for one loader call. */
class LoaderBatch<T> {
  private readonly waiting = new Map<string, Waiter<T>>();
  private readonly accounted = new Set<string>();
  private fired = false;

  constructor(private readonly loader: ManyLoader<T>, private readonly keys: readonly string[]) {}

  /** A key's loader: its value from the one call (or, once that has been made, from a call of its own). */
  request(key: string): Promise<T | undefined> {
    if (this.fired) return this.call([key]).then((values) => values[0]);
    return new Promise<T | undefined>((resolve, reject) => {
      this.waiting.set(key, { resolve, reject });
      this.account(key);
    });
  }

  /** `key` will not (or no longer) ask: once every key is accounted for, the loader runs for those that asked. */
  account(key: string): void {
    if (this.fired || this.accounted.has(key)) return;
    this.accounted.add(key);
    if (this.accounted.size < this.keys.length) return;
    this.fired = true;
    if (this.waiting.size === 0) return;
    const asked = [...this.waiting];
    this.call(asked.map(([k]) => k)).then(
      (values) => asked.forEach(([, waiter], i) => waiter.resolve(values[i])),
      (error: unknown) => asked.forEach(([, waiter]) => waiter.reject(error)),
    );
  }

  private async call(keys: string[]): Promise<ReadonlyArray<T | undefined>> {
    // Checked at run time: a loader written in JavaScript may answer anything.
    const values: unknown = await this.loader(keys);
    const count = Array.isArray(values) ? values.length : undefined;
    if (count !== keys.length) throw new TypeError(`getOrLoadMany: the loader returned ${count ?? typeof values} values for ${keys.length} keys`);
    return values as ReadonlyArray<T | undefined>;
  }
}
