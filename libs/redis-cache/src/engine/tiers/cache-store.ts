import type { EntryKind } from '../envelope.js';

/** One set-if-newer write of an encoded envelope (see `envelope.ts#mayReplace`). */
export interface StoreWrite {
  /** Physical key. */
  key: string;
  /** Encoded envelope. */
  raw: string;
  kind: EntryKind;
  version?: number;
  /** Physical TTL in ms (logical TTL + grace). */
  ttlMs: number;
  /** A fill: may also replace a value of the same version (a reload of unchanged data renews it). */
  fill?: boolean;
  /**
   * A fill's lease (Redis only): the header of what the key held when the fill's miss began. The fill lands
   * only while the key still holds it (see `lua-scripts.ts#WRITE_IF_NEWER`).
   */
  lease?: string;
  /**
   * Tags and the generations captured before the value was loaded: the write is refused if any tag was
   * invalidated since (a fill that loaded before `invalidateTags` must not resurrect the old entry).
   */
  tagCheck?: { tags: readonly string[]; generations: readonly string[] };
}

/** What is stored under a key, in one read: for `exists` and `ttl`, which must not mistake a counter for garbage. */
export interface StoreInspection {
  type: 'none' | 'string' | 'hash' | 'other';
  /** The string value, when `type` is `string`. */
  raw?: string;
  /** Remaining physical TTL in ms; -1 = no TTL. */
  pttl: number;
}

/**
 * A tier's storage operations on physical keys, implemented by the in-process tier (`memory-store.ts`) and by
 * Redis (`redis-store.ts`) with identical semantics, which the contract suite checks. Tag generations are per
 * store: an entry in a tier carries the generations of that tier.
 */
export interface CacheStore {
  get(key: string): Promise<string | undefined>;
  /** Several raw values in one round trip. */
  getMany(keys: readonly string[]): Promise<Array<string | undefined>>;
  write(write: StoreWrite): Promise<boolean>;
  /** Deletes keys; resolves to how many existed. */
  delete(keys: readonly string[]): Promise<number>;
  /** Deletes `key` only if it still holds `raw`. */
  deleteIfEquals(key: string, raw: string): Promise<void>;
  inspect(key: string): Promise<StoreInspection>;
  increment(key: string, by: number, ttlMs: number): Promise<number>;
  hashSet(key: string, field: string, raw: string, ttlMs: number): Promise<void>;
  hashGet(key: string, field: string): Promise<string | undefined>;
  hashGetAll(key: string): Promise<Record<string, string>>;
  /** Deletes every key that starts with the literal physical `prefix`; resolves to the count. */
  deleteByPrefix(prefix: string): Promise<number>;
  /** Current generation of each tag; `undefined` where it is missing (which matches no entry). */
  tagGenerations(tags: readonly string[]): Promise<Array<string | undefined>>;
  /** Increments the generation of each tag. */
  bumpTags(tags: readonly string[]): Promise<void>;
}
