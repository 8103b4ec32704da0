import { LRUCache } from 'lru-cache';
import { decodeEnvelope, mayReplace, type Envelope } from '../envelope.js';
import type { CacheStore, StoreInspection, StoreWrite } from './cache-store.js';

type Slot =
  /** `decoded`: the entry decoded at its first read, kept until the slot is replaced (see `getEnvelopeSync`). */
  | { type: 'string'; raw: string; decoded?: Envelope }
  | { type: 'hash'; fields: Map<string, string> };

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  maxEntries?: number;
  maxBytes?: number;
  /** Upper bound of any entry's lifetime in ms (the L1 TTL cap). */
  maxTtlMs?: number;
}

const slotBytes = (key: string, slot: Slot): number => {
  let chars = key.length + 16;
  if (slot.type === 'string') {
    chars += slot.raw.length;
    // The parsed object graph of a decoded entry: about as many bytes as its JSON text takes as a string.
    if (slot.decoded) chars += slot.decoded.json?.length ?? 0;
  } else for (const [f, v] of slot.fields) chars += f.length + v.length + 8;
  // JS strings are UTF-16: two bytes per code unit is the honest estimate of what the heap holds.
  return chars * 2;
};

/**
 * The in-process tier: an LRU bounded by entry count and by bytes. It stores encoded strings (and, once read,
 * the decoded entry beside them, frozen); readers hand out fresh copies, so a caller mutating a returned value
 * never changes the cache. Without Redis it
 * is the only tier and implements the same semantics (set-if-newer, tombstones, tags, TTL) as `RedisStore`.
 *
 * Tag generations live in a plain map outside the LRU: evicting one would reset it to 0 and could
 * resurrect entries invalidated earlier. There is one number per distinct tag ever invalidated.
 */
export class MemoryStore implements CacheStore {
  private readonly lru: LRUCache<string, Slot>;
  private readonly tags = new Map<string, number>();
  private epoch = 0;
  private readonly maxTtlMs: number;
  /** Limits as configured, for stats. */
  readonly maxEntries: number;
  readonly maxBytes: number;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.maxTtlMs = options.maxTtlMs ?? Number.POSITIVE_INFINITY;
    this.lru = new LRUCache<string, Slot>({
      max: this.maxEntries,
      maxSize: this.maxBytes,
      sizeCalculation: (slot, key) => slotBytes(key, slot),
      ttlAutopurge: false,
    });
  }

  /** Number of entries held. */
  get size(): number {
    return this.lru.size;
  }

  /** Bytes held (estimate). */
  get bytes(): number {
    return this.lru.calculatedSize;
  }

  private ttl(ttlMs: number): number {
    return Math.max(1, Math.min(ttlMs, this.maxTtlMs));
  }

  /** Synchronous read, for the hot path of the engine. */
  getSync(key: string): string | undefined {
    const slot = this.lru.get(key);
    return slot?.type === 'string' ? slot.raw : undefined;
  }

  /**
   * The entry under `key` decoded, from its first read on without decoding again: the envelope is kept beside
   * its text until the key is written or dropped, and shared by every caller — its `value` is deep-frozen, so
   * a caller that hands a value out must hand out a copy (see `EntryReader.readL1`). `undefined` when absent
   * or a hash; throws `EnvelopeFormatError` for text that is not an entry (a counter's digits, garbage).
   */
  getEnvelopeSync(key: string): Envelope | undefined {
    const slot = this.lru.get(key);
    if (slot?.type !== 'string') return undefined;
    if (slot.decoded !== undefined) return slot.decoded;
    const decoded = decodeEnvelope(slot.raw);
    deepFreeze(decoded);
    const kept: Slot = { type: 'string', raw: slot.raw, decoded };
    // Set again so that the byte bound counts the decoded copy (the TTL stays); an entry too big to keep both
    // stays undecoded.
    if (slotBytes(key, kept) <= this.maxBytes) this.lru.set(key, kept, { noUpdateTTL: true });
    return decoded;
  }

  /** Synchronous set-if-newer. */
  writeSync(write: StoreWrite): boolean {
    if (write.tagCheck) {
      const { tags, generations } = write.tagCheck;
      if (tags.some((tag, i) => this.generationOf(tag) !== generations[i])) return false;
    }
    if (!mayReplace(this.getSync(write.key), write.kind, write.version, write.fill)) return false;
    const slot: Slot = { type: 'string', raw: write.raw };
    // A value bigger than the whole tier is refused by lru-cache; make sure no older copy survives then.
    if (slotBytes(write.key, slot) > this.maxBytes) {
      this.lru.delete(write.key);
      return false;
    }
    this.lru.set(write.key, slot, { ttl: this.ttl(write.ttlMs) });
    return true;
  }

  /** Synchronous generations of tags (here a tag never invalidated has generation `0`: nothing evicts them). */
  tagGenerationsSync(tags: readonly string[]): string[] {
    return tags.map((tag) => this.generationOf(tag));
  }

  private generationOf(tag: string): string {
    return String(this.tags.get(tag) ?? 0);
  }

  /** Synchronous delete of one key. */
  clearKey(key: string): void {
    this.lru.delete(key);
  }

  /** Bumped on every tag invalidation: a reader that saw it change must not back-fill what it read before. */
  get tagEpoch(): number {
    return this.epoch;
  }

  /** Drops every entry (tag generations are kept, so in-flight fills are still checked). */
  clearAll(): void {
    this.lru.clear();
  }

  /** Whether `key` is held with a remaining TTL, and the raw string (no LRU bump). */
  peek(key: string): string | undefined {
    const slot = this.lru.peek(key);
    return slot?.type === 'string' ? slot.raw : undefined;
  }

  async get(key: string): Promise<string | undefined> {
    return this.getSync(key);
  }

  async getMany(keys: readonly string[]): Promise<Array<string | undefined>> {
    return keys.map((key) => this.getSync(key));
  }

  async write(write: StoreWrite): Promise<boolean> {
    return this.writeSync(write);
  }

  async delete(keys: readonly string[]): Promise<number> {
    let count = 0;
    for (const key of keys) if (this.lru.delete(key)) count += 1;
    return count;
  }

  async deleteIfEquals(key: string, raw: string): Promise<void> {
    if (this.peek(key) === raw) this.lru.delete(key);
  }

  async inspect(key: string): Promise<StoreInspection> {
    const slot = this.lru.peek(key);
    if (!slot) return { type: 'none', pttl: -2 };
    const remaining = this.lru.getRemainingTTL(key);
    const pttl = Number.isFinite(remaining) ? Math.max(0, Math.round(remaining)) : -1;
    return slot.type === 'string' ? { type: 'string', raw: slot.raw, pttl } : { type: 'hash', pttl };
  }

  async increment(key: string, by: number, ttlMs: number): Promise<number> {
    const current = this.lru.get(key);
    if (current && (current.type !== 'string' || !/^-?\d+$/.test(current.raw))) {
      throw new TypeError('value is not an integer');
    }
    const next = (current ? Number(current.raw) : 0) + by;
    const slot: Slot = { type: 'string', raw: String(next) };
    if (current) this.lru.set(key, slot, { noUpdateTTL: true });
    else this.lru.set(key, slot, ttlMs > 0 ? { ttl: this.ttl(ttlMs) } : {});
    return next;
  }

  async hashSet(key: string, field: string, raw: string, ttlMs: number): Promise<void> {
    const current = this.lru.get(key);
    if (current && current.type !== 'hash') throw new TypeError('key holds a non-hash value');
    const fields = new Map(current?.fields ?? []);
    fields.set(field, raw);
    // Re-set so the byte accounting sees the new size; keep the TTL set on creation.
    if (current) this.lru.set(key, { type: 'hash', fields }, { noUpdateTTL: true });
    else this.lru.set(key, { type: 'hash', fields }, ttlMs > 0 ? { ttl: this.ttl(ttlMs) } : {});
  }

  async hashGet(key: string, field: string): Promise<string | undefined> {
    const slot = this.lru.get(key);
    return slot?.type === 'hash' ? slot.fields.get(field) : undefined;
  }

  async hashGetAll(key: string): Promise<Record<string, string>> {
    const slot = this.lru.get(key);
    const out: Record<string, string> = Object.create(null) as Record<string, string>;
    if (slot?.type === 'hash') for (const [f, v] of slot.fields) out[f] = v;
    return out;
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    return this.deleteByPrefixSync(prefix);
  }

  /** Synchronous {@link deleteByPrefix}, for invalidations that must be applied before they are acked. */
  deleteByPrefixSync(prefix: string): number {
    let count = 0;
    for (const key of [...this.lru.keys()]) {
      if (key.startsWith(prefix) && this.lru.delete(key)) count += 1;
    }
    return count;
  }

  async tagGenerations(tags: readonly string[]): Promise<string[]> {
    return this.tagGenerationsSync(tags);
  }

  async bumpTags(tags: readonly string[]): Promise<void> {
    this.bumpTagsSync(tags);
  }

  /** Synchronous {@link bumpTags}. */
  bumpTagsSync(tags: readonly string[]): void {
    this.epoch += 1;
    for (const tag of tags) this.tags.set(tag, (this.tags.get(tag) ?? 0) + 1);
  }
}

/** Freezes a decoded entry and everything in it (a tree: JSON has no cycles). */
function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}
