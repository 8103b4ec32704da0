import type { InvalidationFence } from './bus/invalidation-fence.js';
import type { CacheStatsCounter } from './cache-stats.js';
import type { CacheLogger, CacheSetOptions } from './cache.types.js';
import { encodeBody, encodeWithBody, type EntryKind } from './envelope.js';
import { onL2 } from './l2-call.js';
import type { RedisLink } from './redis-link.js';
import type { MemoryStore } from './tiers/memory-store.js';
import type { RedisStore } from './tiers/redis-store.js';

/** One entry to write. */
export interface WriteSpec {
  kind: Exclude<EntryKind, 'L'>;
  value: unknown;
  ttlSeconds: number;
  version?: number;
  tags: readonly string[];
  l1?: CacheSetOptions['l1'];
  /** Tag generations captured before a load (fills); absent for plain writes. */
  captured?: { l1: string[]; l2?: string[] };
  /**
   * Fence stamp taken before the value was read (fills). If the key was invalidated since, the value may
   * predate the invalidation and is not cached at all.
   */
  readStamp?: number;
  /**
   * A fill from a load, with the lease it took on the key in Redis before loading (see `envelope.ts#leaseOf`).
   * Without a lease it is not cached at all — unless `memoryOnly` (Redis was unusable when the load began and
   * the key is eventual): then it is kept in L1 only, as L1 serves eventual keys through an outage.
   */
  fill?: { lease?: string; memoryOnly?: boolean };
}

/**
 * What a write did: `stored` as the public API reports it, `l2` = Redis answered it (`undefined`: not reached),
 * `json` = the JSON text the value was serialised to (kind `V`, once it was encoded), for callers that share it.
 */
export interface WriteOutcome {
  stored: boolean;
  l2?: boolean;
  json?: string;
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
 * The write path: encodes the envelope in the current keyspace epoch (compressed above the threshold),
 * refuses values over `maxEntryBytes`, writes L2 with set-if-newer (and, for fills, the lease and the tag
 * check), then L1 — unless Redis holds something newer, or an invalidation overtook the write's reply (the
 * fence), in which case L1 loses its copy.
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
    // The value is serialised (and compressed) once; each envelope below only adds its header, and an
    // untagged entry's envelope (the same text for L2 and L1 while the epoch holds) is built once.
    const { body, compressed, json } = encodeBody(spec.kind, spec.value, this.d.compressAboveBytes);
    let untagged: { epoch: string; raw: string } | undefined;
    const envelope = (epoch: string, gens: readonly string[]): string => {
      if (gens.length === 0 && untagged?.epoch === epoch) return untagged.raw;
      const raw = encodeWithBody({
        kind: spec.kind, version: spec.version, storedAt: now, expiresAt, epoch,
        tags: gens.length === 0 ? [] : spec.tags.map((tag, i) => [tag, gens[i]]),
      }, body);
      if (gens.length === 0) untagged = { epoch, raw };
      return raw;
    };
    // The size as stored in the empty epoch with placeholder generations (what the limit is checked on).
    const epochNow = link?.epoch ?? '';
    const probeLength = spec.tags.length === 0 ? envelope(epochNow, []).length - epochNow.length : envelope('', spec.tags.map(() => '0')).length;
    if (probeLength * 2 > this.d.maxEntryBytes) {
      this.d.stats.increment('oversized');
      this.d.logger?.warn(`cache entry ${pk} exceeds maxEntryBytes; not cached`);
      mem.clearKey(pk);
      const deleted = await onL2(link, this.d.logger, pk, (l2) => l2.delete([pk]));
      return { stored: false, l2: link && deleted !== undefined ? false : undefined, json };
    }
    if (compressed) this.d.stats.increment('compressed');
    let l2Answer: boolean | undefined;
    if (link && spec.fill && spec.fill.lease === undefined && !spec.fill.memoryOnly) {
      // A fill without a lease may not land in Redis, and L1 alone could outlive what Redis says.
      mem.clearKey(pk);
      return { stored: false, json };
    }
    if (link && !spec.fill?.memoryOnly) {
      const writeL2 = (l2: RedisStore, gens: readonly string[]): Promise<boolean> => {
        const epoch = link.epoch ?? '';
        return l2.write({
          key: pk, raw: envelope(epoch, gens), kind: spec.kind, version: spec.version, ttlMs: physicalTtl,
          fill: spec.fill !== undefined, lease: spec.fill?.lease,
          tagCheck: spec.captured?.l2 ? { tags: spec.tags, generations: spec.captured.l2 } : undefined,
        });
      };
      l2Answer = await onL2(link, this.d.logger, spec.fill ? undefined : pk, (l2) => {
        if (spec.tags.length === 0) return writeL2(l2, []);
        if (spec.captured && !spec.captured.l2) return Promise.reject(new Error('tag generations unknown'));
        // A plain write captures its tags' generations first (a fill captured them before loading).
        return spec.captured?.l2 ? writeL2(l2, spec.captured.l2) : l2.captureTags(spec.tags).then((gens) => writeL2(l2, gens));
      }, spec.fill === undefined);
      if (l2Answer === false || (l2Answer === undefined && spec.fill) || fence.changedSince(pk, stamp)) {
        // Redis holds something newer (or refused the fill, or a fill could not reach it), or an invalidation
        // arrived meanwhile: L1's copy could be older than what other instances read. A plain write Redis did
        // not take is kept in L1 (and repaired in Redis on recovery); strict reads do not trust it meanwhile.
        mem.clearKey(pk);
        return { stored: l2Answer ?? false, l2: l2Answer, json };
      }
    }
    const useL1 = this.d.l1Enabled && (spec.l1 !== false || !link);
    if (!useL1) {
      mem.clearKey(pk);
      return { stored: l2Answer ?? false, l2: l2Answer, json };
    }
    const l1Gens = spec.captured?.l1 ?? mem.tagGenerationsSync(spec.tags);
    const l1Ttl = typeof spec.l1 === 'object' ? Math.min(spec.l1.ttlSeconds * 1000, physicalTtl) : physicalTtl;
    const epoch = link?.epoch ?? '';
    const l1Accepted = mem.writeSync({
      key: pk, raw: envelope(epoch, l1Gens), kind: spec.kind, version: spec.version, ttlMs: l1Ttl, fill: spec.fill !== undefined,
      tagCheck: spec.captured ? { tags: spec.tags, generations: spec.captured.l1 } : undefined,
    });
    return { stored: l2Answer ?? l1Accepted, l2: l2Answer, json };
  }

  private withJitter(ms: number): number {
    return this.d.jitter > 0 ? Math.max(1, Math.round(ms * (1 - Math.random() * this.d.jitter))) : ms;
  }
}
