import type { InvalidationFence } from './bus/invalidation-fence.js';
import type { CacheStatsCounter } from './cache-stats.js';
import type { CacheLogger, CacheSetOptions } from './cache.types.js';
import { decodeEnvelope, encodeEnvelope, isCompressed, type EntryKind, type Envelope } from './envelope.js';
import { onL2 } from './l2-call.js';
import type { RedisLink } from './redis-link.js';
import type { StoreWrite } from './tiers/cache-store.js';
import type { MemoryStore } from './tiers/memory-store.js';

/** One entry to write. */
export interface WriteSpec {
  kind: EntryKind;
  value: unknown;
  ttlSeconds: number;
  version?: number;
  tags: readonly string[];
  l1?: CacheSetOptions['l1'];
  /** Tag generations captured before a load (fills); absent for plain writes. */
  captured?: { l1: number[]; l2?: number[] };
  /**
   * Fence stamp taken before the value was read (fills). If the key was invalidated since, the value may
   * predate the invalidation and is not cached at all.
   */
  readStamp?: number;
  /** A fill from a load (see `StoreWrite.fill`). */
  fill?: boolean;
}

/** What a write did: `stored` as the public API reports it, `l2` = Redis accepted it (`undefined`: not reached). */
export interface WriteOutcome {
  stored: boolean;
  l2?: boolean;
}

/** Dependencies of {@link EntryWriter}. */
export interface EntryWriterDeps {
  mem: MemoryStore;
  link?: RedisLink;
  l1Enabled: boolean;
  graceMs: number;
  jitter: number;
  maxEntryBytes: number;
  compressAboveBytes: number;
  stats: CacheStatsCounter;
  fence: InvalidationFence;
  logger?: CacheLogger;
}

/**
 * The write path: encodes the envelope (compressed above the threshold), refuses values over
 * `maxEntryBytes`, writes L2 with set-if-newer (and the tag check for fills), then L1 — unless Redis holds
 * something newer, or an invalidation overtook the write's reply (the fence), in which case L1 loses its copy.
 */
export class EntryWriter {
  constructor(private readonly d: EntryWriterDeps) {}

  async write(pk: string, spec: WriteSpec): Promise<WriteOutcome> {
    const { mem, link, fence } = this.d;
    if (spec.readStamp !== undefined && fence.changedSince(pk, spec.readStamp)) return { stored: false };
    const stamp = fence.stamp();
    const now = Date.now();
    const ttlMs = this.withJitter(spec.ttlSeconds * 1000);
    const expiresAt = now + ttlMs;
    const physicalTtl = spec.kind === 'V' ? ttlMs + this.d.graceMs : ttlMs;
    const envelope = (gens: readonly number[]): string => encodeEnvelope({
      kind: spec.kind, version: spec.version, storedAt: now, expiresAt, value: spec.value,
      tags: spec.tags.map((tag, i) => [tag, gens[i] ?? 0]),
    }, { compressAboveBytes: this.d.compressAboveBytes });
    const probe = envelope([]);
    if (probe.length * 2 > this.d.maxEntryBytes) {
      this.d.stats.increment('oversized');
      this.d.logger?.warn(`cache entry ${pk} exceeds maxEntryBytes; not cached`);
      mem.clearKey(pk);
      await onL2(link, this.d.logger, pk, (l2) => l2.delete([pk]));
      return { stored: false };
    }
    if (isCompressed(probe)) this.d.stats.increment('compressed');
    let l2Accepted: boolean | undefined;
    if (link) {
      l2Accepted = await onL2(link, this.d.logger, pk, async (l2) => {
        if (spec.captured && spec.tags.length > 0 && !spec.captured.l2) throw new Error('tag generations unknown');
        const gens = spec.captured?.l2 ?? (await l2.tagGenerations(spec.tags));
        return l2.write({
          key: pk, raw: spec.tags.length ? envelope(gens) : probe, kind: spec.kind, version: spec.version, ttlMs: physicalTtl, fill: spec.fill,
          tagCheck: spec.captured?.l2 ? { tags: spec.tags, generations: spec.captured.l2 } : undefined,
        });
      });
      if (l2Accepted === false || fence.changedSince(pk, stamp)) {
        // Redis holds something newer, or an invalidation arrived meanwhile: L1's copy would be older.
        mem.clearKey(pk);
        return { stored: l2Accepted ?? false, l2: l2Accepted };
      }
    }
    const useL1 = this.d.l1Enabled && (spec.l1 !== false || !link);
    if (!useL1) {
      mem.clearKey(pk);
      return { stored: l2Accepted ?? false, l2: l2Accepted };
    }
    const l1Gens = spec.captured?.l1 ?? mem.tagGenerationsSync(spec.tags);
    const l1Ttl = typeof spec.l1 === 'object' ? Math.min(spec.l1.ttlSeconds * 1000, physicalTtl) : physicalTtl;
    const l1Accepted = mem.writeSync({
      key: pk, raw: spec.tags.length ? envelope(l1Gens) : probe, kind: spec.kind, version: spec.version, ttlMs: l1Ttl, fill: spec.fill,
      tagCheck: spec.captured ? { tags: spec.tags, generations: spec.captured.l1 } : undefined,
    });
    return { stored: l2Accepted ?? l1Accepted, l2: l2Accepted };
  }

  private withJitter(ms: number): number {
    return this.d.jitter > 0 ? Math.max(1, Math.round(ms * (1 - Math.random() * this.d.jitter))) : ms;
  }

  /** The tombstone L1 holds for `pk`, if any (re-applied to Redis on recovery so old fills stay blocked). */
  l1Tombstone(pk: string): StoreWrite | undefined {
    const raw = this.d.mem.peek(pk);
    if (!raw) return undefined;
    let env: Envelope;
    try {
      env = decodeEnvelope(raw);
    } catch (error) {
      // A corrupt L1 entry holds no tombstone; recovery then UNLINKs the key, which is the safe default.
      this.d.logger?.debug?.(`cache L1 entry ${pk} unreadable during recovery (${(error as Error).name})`);
      return undefined;
    }
    if (env.kind !== 'T') return undefined;
    return { key: pk, raw, kind: 'T', version: env.version, ttlMs: Math.max(1, env.expiresAt - Date.now()) };
  }
}
