import type { InvalidationFence } from './bus/invalidation-fence.js';
import type { CacheStatsCounter } from './cache-stats.js';
import type { CacheLogger } from './cache.types.js';
import { decodeEnvelope, encodeEnvelope, leaseOf, type Envelope } from './envelope.js';
import { ignoreError } from './ignored-error.js';
import type { CacheStore } from './tiers/cache-store.js';
import type { MemoryStore } from './tiers/memory-store.js';
import type { RedisStore } from './tiers/redis-store.js';

/** An entry found in a tier. `stale` = past its logical expiry but inside the grace period. */
export interface FoundEntry {
  env: Envelope;
  source: 'l1' | 'l2';
  stale: boolean;
}

/**
 * What an L2 read saw of the key, for a fill that may follow it: the lease it would take on what the key
 * holds (`lease`), or `absent` when it holds nothing (the fill then places a lease placeholder itself).
 * `undefined` until Redis answered.
 */
export interface L2Sight {
  seen?: { lease: string } | 'absent';
  /**
   * Set by the caller: the lease placeholder to put on the key in the same round trip if it holds nothing
   * (one command for the miss's read and its lease); `placed` is then that placeholder.
   */
  offer?: () => { placeholder: string; ttlMs: number };
  placed?: string;
}

/** Dependencies of {@link EntryReader}. */
export interface EntryReaderOptions {
  /** L1, or `undefined` when it is switched off. */
  mem?: MemoryStore;
  /** L2 if it may be read for this key right now (usable, epoch known, and for strict keys trusted). */
  l2For: (pk: string) => RedisStore | undefined;
  /** The keyspace epoch entries must carry to be read from L2 (`''` without Redis). */
  epoch: () => string;
  stats: CacheStatsCounter;
  graceMs: number;
  l1TtlMs: number;
  /** Whether the L1 entry under a key may be served now (coherence policy and bus lease); `quiet`: count nothing. */
  trusted: (pk: string, quiet?: boolean) => boolean;
  fence: InvalidationFence;
  /** Debug log of deliberately ignored failures (the guard already counted and logged them). */
  logger?: CacheLogger;
}

const COUNTER = /^-?\d+$/;

/** Options of {@link EntryReader.readL2}. */
interface L2ReadOptions {
  allowStale: boolean;
  quiet?: boolean;
  sight?: L2Sight;
}

/** One L2 read in flight: what its settling needs (taken before the round trip). */
interface L2Read {
  pk: string;
  local: FoundEntry | undefined;
  options: L2ReadOptions;
  /** L1's tag epoch and the fence stamp when the read began (see `backfill`). */
  tagEpoch: number | undefined;
  stamp: number;
}

/**
 * The read path shared by `get`, `getOrLoad`, `exists` and `ttl`: L1, then L2 with back-fill of L1.
 * Entries that do not decode are a miss, are deleted (compare-and-delete, so a good value written meanwhile
 * survives) and are counted as errors. An L2 entry of another keyspace epoch, or a lease placeholder, is a
 * miss. Tagged entries are checked against the tier's current tag generations (a missing one matches nothing).
 */
export class EntryReader {
  constructor(private readonly o: EntryReaderOptions) {}

  private decode(raw: string): Envelope | undefined {
    try {
      return decodeEnvelope(raw);
    } catch {
      // Corrupt: every caller counts it as an error and deletes it; the content is never logged.
      return undefined;
    }
  }

  /**
   * L1 only, synchronous. Counts an L1 hit for a fresh entry, an L1 miss only if `countMiss`. The entry's value
   * is the caller's own copy (parsed from its JSON).
   */
  readL1(pk: string, allowStale: boolean, countMiss = false): FoundEntry | undefined {
    const found = this.lookupL1(pk, allowStale, false);
    if (found && !found.stale && found.env.kind !== 'T') this.o.stats.increment('l1Hits', 1, pk);
    else if (countMiss) this.o.stats.increment('l1Misses', 1, pk);
    // `found` is this call's own; its envelope is L1's, shared: the value handed out is a copy.
    if (found?.env.kind === 'V') found.env = { ...found.env, value: JSON.parse(found.env.json!) };
    return found;
  }

  /**
   * A fresh L1 entry as L1 holds it, for a caller that may hand the request on (see `CacheEngine.recordHit`):
   * counts no hit, miss or bypass, and its envelope is shared with every other reader — its value deep-frozen,
   * never to be handed out — so nothing is parsed.
   */
  peekL1(pk: string): FoundEntry | undefined {
    return this.lookupL1(pk, false, true);
  }

  private lookupL1(pk: string, allowStale: boolean, quiet: boolean): FoundEntry | undefined {
    const mem = this.o.mem;
    if (!mem) return undefined;
    let env: Envelope | undefined;
    try {
      env = mem.getEnvelopeSync(pk);
    } catch (error) {
      // Corrupt: counted as an error and deleted; the content is never logged.
      ignoreError(error, 'L1 entry does not decode (deleted)', this.o);
      mem.clearKey(pk);
      return undefined;
    }
    if (env === undefined) return undefined;
    if (env.tags.length > 0 && !sameGenerations(env, mem.tagGenerationsSync(env.tags.map(([t]) => t)))) {
      mem.clearKey(pk);
      return undefined;
    }
    // An entry the coherence policy does not cover now (strict, and a member silent or the bus lease lapsed)
    // may be older than a write acknowledged elsewhere: it is served never, not even as a fail-safe fallback.
    // Only an entry past its TTL that is still covered may stand in for a failed load (`allowStale`).
    if (env.kind !== 'T' && !this.o.trusted(pk, quiet)) return undefined;
    const stale = env.expiresAt <= Date.now();
    return !stale || allowStale ? { env, source: 'l1', stale } : undefined;
  }

  /** L1, then L2 (back-filling L1 with the remaining TTL). Never throws for Redis reasons. */
  async read(pk: string, options: { allowStale: boolean; skipL1Count?: boolean; sight?: L2Sight }): Promise<FoundEntry | undefined> {
    const local = this.readL1(pk, options.allowStale, !options.skipL1Count);
    if (local && !local.stale && local.env.kind !== 'T') return local;
    return this.readL2(pk, local, options);
  }

  /**
   * The L2 half of {@link read}, for a caller that has read L1 itself: `local` is what L1 gave (nothing, a
   * tombstone, or with `allowStale` a stale entry), returned when L2 has nothing better or fails. `quiet`
   * counts no L2 hit or miss (errors are still counted); `sight` records what the key held, for a fill.
   * An untagged, well-formed entry — every hit but the rare tagged one — is settled in one `.then` on the
   * guarded read, with no async function's extra promise step: the hot path of every L2 hit.
   */
  readL2(pk: string, local: FoundEntry | undefined, options: L2ReadOptions): Promise<FoundEntry | undefined> {
    const l2 = this.o.l2For(pk);
    if (!l2) return Promise.resolve(local);
    const read: L2Read = { pk, local, options, tagEpoch: this.o.mem?.tagEpoch, stamp: this.o.fence.stamp() };
    const offer = options.sight?.offer?.();
    const answer = offer ? l2.getOrLease(pk, offer.placeholder, offer.ttlMs) : l2.get(pk);
    return answer.then((raw) => {
      if (offer && raw === undefined) options.sight!.placed = offer.placeholder;
      if (raw === undefined) return this.settleL2(read, undefined, undefined);
      const env = this.decode(raw);
      if (env === undefined || (env.tags.length > 0 && env.epoch === this.o.epoch())) return this.checkL2(read, l2, raw, env);
      return this.settleL2(read, raw, env);
    }, (error: unknown) => this.l2Failed(error, local));
  }

  /** A corrupt entry is deleted (compare-and-delete); a tagged one is checked against Redis' generations. */
  private async checkL2(read: L2Read, l2: RedisStore, raw: string, env: Envelope | undefined): Promise<FoundEntry | undefined> {
    try {
      if (env === undefined) {
        this.o.stats.increment('errors');
        await l2.deleteIfEquals(read.pk, raw);
        return this.settleL2(read, undefined, undefined);
      }
      const gens = await l2.tagGenerations(env.tags.map(([t]) => t));
      if (sameGenerations(env, gens)) return this.settleL2(read, raw, env);
      // Invalidated by tag: remove it so a versioned fill is not blocked by a dead entry.
      await l2.deleteIfEquals(read.pk, raw);
      return this.settleL2(read, undefined, undefined);
    } catch (error) {
      return this.l2Failed(error, read.local);
    }
  }

  private l2Failed(error: unknown, local: FoundEntry | undefined): FoundEntry | undefined {
    ignoreError(error, 'L2 read failed; L1 answers', this.o);
    return local;
  }

  /** What an L2 read found (`raw` undefined: nothing usable), counted and back-filled into L1. */
  private settleL2(read: L2Read, raw: string | undefined, found: Envelope | undefined): FoundEntry | undefined {
    const { pk, local, options } = read;
    if (options.sight) options.sight.seen = raw === undefined ? 'absent' : { lease: leaseOf(raw) };
    // A lease placeholder, or an entry of another epoch (written before Redis restarted, failed over or lost
    // its coordination record), is absent.
    const env = found && (found.kind === 'L' || found.epoch !== this.o.epoch()) ? undefined : found;
    const now = Date.now();
    if (!env || (env.expiresAt <= now && !options.allowStale)) {
      if (!options.quiet) this.o.stats.increment('l2Misses', 1, pk);
      return local;
    }
    const stale = env.expiresAt <= now;
    if (!stale) {
      if (env.kind !== 'T' && !options.quiet) this.o.stats.increment('l2Hits', 1, pk);
      this.backfill(pk, raw!, env, read.tagEpoch, read.stamp, now);
    }
    return { env, source: 'l2', stale };
  }

  /**
   * Several keys: L1 for each, then the L1 misses from L2 in one MGET round trip. Tagged entries (rare in a
   * multi-get) take the single-key path, which checks their tag generations.
   */
  async readMany(pks: readonly string[]): Promise<Array<FoundEntry | undefined>> {
    const out = pks.map((pk) => {
      const local = this.readL1(pk, false, true);
      return local && local.env.kind !== 'T' ? local : undefined;
    });
    const missing = out.flatMap((found, i) => (found || !this.o.l2For(pks[i]) ? [] : [i]));
    const l2 = missing.length > 0 ? this.o.l2For(pks[missing[0]]) : undefined;
    if (!l2) return out;
    const epoch = this.o.mem?.tagEpoch;
    const stamp = this.o.fence.stamp();
    let raws: Array<string | undefined>;
    try {
      raws = await l2.getMany(missing.map((i) => pks[i]));
    } catch (error) {
      ignoreError(error, 'L2 multi-read failed; L1 answers', this.o);
      return out;
    }
    const now = Date.now();
    for (const [n, i] of missing.entries()) {
      const raw = raws[n];
      let env = raw === undefined ? undefined : this.decode(raw);
      if (raw !== undefined && !env) {
        this.o.stats.increment('errors');
        await l2.deleteIfEquals(pks[i], raw).catch((error: unknown) => ignoreError(error, 'deleting a corrupt entry failed', this.o));
      } else if (env && (env.kind === 'L' || env.epoch !== this.o.epoch())) {
        env = undefined;
      } else if (env && env.tags.length > 0) {
        out[i] = await this.read(pks[i], { allowStale: false, skipL1Count: true });
        continue;
      }
      if (!env || env.expiresAt <= now) {
        this.o.stats.increment('l2Misses', 1, pks[i]);
        continue;
      }
      if (env.kind !== 'T') this.o.stats.increment('l2Hits', 1, pks[i]);
      this.backfill(pks[i], raw!, env, epoch, stamp, now);
      out[i] = { env, source: 'l2', stale: false };
    }
    return out;
  }

  private backfill(pk: string, raw: string, env: Envelope, epoch: number | undefined, stamp: number, now: number): void {
    const mem = this.o.mem;
    // An invalidation since the L2 read may concern this entry (its message can overtake the reply): skip.
    if (!mem || mem.tagEpoch !== epoch || this.o.fence.changedSince(pk, stamp)) return;
    const ttlMs = Math.min(env.expiresAt + (env.kind === 'V' ? this.o.graceMs : 0) - now, this.o.l1TtlMs);
    if (ttlMs <= 0) return;
    // L1 checks tags against its own generations: re-stamp a tagged entry with them.
    const l1Raw = env.tags.length === 0
      ? raw
      : encodeEnvelope({ ...env, tags: env.tags.map(([t]) => [t, mem.tagGenerationsSync([t])[0]]) });
    mem.writeSync({ key: pk, raw: l1Raw, kind: env.kind, version: env.version, ttlMs });
  }

  /** Seconds to live of what `pk` holds (`-1` = no expiry), or `undefined` if absent or not a live entry. */
  async inspect(pk: string): Promise<number | undefined> {
    const l2 = this.o.l2For(pk);
    const stores: CacheStore[] = [];
    if (l2) stores.push(l2);
    if (this.o.mem) stores.push(this.o.mem);
    for (const store of stores) {
      try {
        const seen = await store.inspect(pk);
        if (seen.type === 'none') {
          if (store === l2 && this.o.mem) continue;
          return undefined;
        }
        const seconds = seen.pttl < 0 ? -1 : toSeconds(seen.pttl);
        if (seen.type !== 'string' || seen.raw === undefined) return seconds;
        const env = this.decode(seen.raw);
        if (!env) return COUNTER.test(seen.raw) ? seconds : undefined;
        const now = Date.now();
        if (env.kind === 'T' || env.kind === 'L' || env.expiresAt <= now || (store === l2 && env.epoch !== this.o.epoch())) return undefined;
        if (env.tags.length > 0 && !sameGenerations(env, await store.tagGenerations(env.tags.map(([t]) => t)))) return undefined;
        return toSeconds(env.expiresAt - now);
      } catch (error) {
        ignoreError(error, 'inspect failed; trying the next tier', this.o);
      }
    }
    return undefined;
  }
}

/** Whether every tag of `env` still has the generation it was written under (a missing one never does). */
function sameGenerations(env: Envelope, current: ReadonlyArray<string | undefined>): boolean {
  return env.tags.every(([, gen], i) => current[i] !== undefined && current[i] === gen);
}

/** Like Redis' TTL: rounded to the nearest second, but never 0 for a key that still exists. */
function toSeconds(ms: number): number {
  return Math.max(1, Math.round(ms / 1000));
}
