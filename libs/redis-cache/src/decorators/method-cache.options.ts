import type { TtlPolicy } from '../engine/cache.types.js';

/** Key parts computed from a method's arguments; each part is encoded by the key builder. */
export type MethodKeyParts = string | number | ReadonlyArray<string | number>;

/** Shared by `@Cacheable` and `@CachePut`: where the result lives and for how long. */
export interface MethodCacheOptions<Args extends unknown[] = never[], Result = unknown> {
  /** Namespace of the entries; `@CacheEvict` with the same namespace and key reaches them. */
  namespace: string;
  /** Key parts from the arguments (`(id) => id`, `(tenant, id) => [tenant, id]`). Default: all arguments. */
  key?: (...args: Args) => MethodKeyParts;
  /** TTL in seconds, or from the result. Default: the module's `defaultTtlSeconds`. */
  ttl?: TtlPolicy<Result>;
  /** Version of a result (e.g. a `version` column): the write is then set-if-newer. */
  version?: (result: Result) => number | undefined;
  /** Tags of the entry, from the arguments. */
  tags?: (...args: Args) => readonly string[];
  /** Use the cache at all for this call (checked before). Default: always. */
  condition?: (...args: Args) => boolean;
  /** Do not store this result (checked after), e.g. `(r) => r === null`. Default: never. */
  unless?: (result: Result, ...args: Args) => boolean;
}

/** Options of `@CacheEvict`. */
export interface CacheEvictOptions<Args extends unknown[] = never[]> {
  /** Namespace of the entries to evict. */
  namespace: string;
  /** Keys to evict, from the arguments: one key's parts, or a list of them. */
  keys?: (...args: Args) => MethodKeyParts | ReadonlyArray<MethodKeyParts>;
  /** Tags to invalidate, from the arguments. */
  tags?: (...args: Args) => readonly string[];
  /** Evict the whole namespace (SCAN + UNLINK). */
  allEntries?: boolean;
  /** Evict before the method runs (and whether it fails or not); default after it succeeded. */
  beforeInvocation?: boolean;
}
