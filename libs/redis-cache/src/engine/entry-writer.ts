import type { InvalidationFence } from './bus/invalidation-fence.js';
import type { CacheStatsCounter } from './cache-stats.js';
import type { CacheLogger, CacheSetOptions } from './cache.types.js';
import { encodeBody, encodeWithBody, type EntryKind } from './envelope.js';
import { onL2 } from './l2-call.js';
import { MAX_KEYS_PER_SCRIPT } from './lua-scripts.js';
import type { RedisLink } from './redis-link.js';
import type { MemoryStore } from './tiers/memory-store.js';
import type { StoreWrite } from './tiers/cache-store.js';
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

/** A write prepared by `EntryWriter.prepare`: everything but the tiers. */
interface PreparedWrite {
  pk: string;
  spec: WriteSpec;
  /** The fence stamp before the write was sent (an invalidation after it clears L1's copy). */
  stamp: number;
  physicalTtl: number;
  /** The envelope in `epoch` with these tag generations. */
  envelope: (epoch: string, gens: readonly string[]) => string;
  compressed: boolean;
  json?: string;
  oversized: boolean;
}

/**
 * The write path: encodes the envelope in the current keyspace epoch (compressed above the threshold),
 * refuses values over `maxEntryBytes`, writes L2 with set-if-newer (and, for fills, the lease and the tag
 * check), then L1 — unless Redis holds something newer, or an invalidation overtook the write's reply (the
 * fence), in which case L1 loses its copy.
 */
export class EntryWriter {
  constructor(private readonly d: EntryWriterDeps) {}

  /**
   * Writes one entry. `onSent` is called, synchronously, right after the L2 write was handed to the data
   * connection as a command that Redis runs before any PUBLISH issued after it there (see
   * `RedisStore.publishesAfter`); never for any other write.
   */
  async write(pk: string, spec: WriteSpec, onSent?: () => void): Promise<WriteOutcome> {
    const { link, fence } = this.d;
    if (spec.readStamp !== undefined && fence.changedSince(pk, spec.readStamp)) return { stored: false };
    const w = this.prepare(pk, spec);
    if (w.oversized) return this.refuseOversized(w);
    if (w.compressed) this.d.stats.increment('compressed');
    if (link && spec.fill && spec.fill.lease === undefined && !spec.fill.memoryOnly) {
      // A fill without a lease may not land in Redis, and L1 alone could outlive what Redis says.
      this.d.mem.clearKey(pk);
      return { stored: false, json: w.json };
    }
    let l2Answer: boolean | undefined;
    if (link && !spec.fill?.memoryOnly) {
      const writeL2 = (l2: RedisStore, gens: readonly string[]): Promise<boolean> => {
        const epoch = link.epoch ?? '';
        const write: StoreWrite = {
          key: pk, raw: w.envelope(epoch, gens), kind: spec.kind, version: spec.version, ttlMs: w.physicalTtl,
          fill: spec.fill !== undefined, lease: spec.fill?.lease,
          tagCheck: spec.captured?.l2 ? { tags: spec.tags, generations: spec.captured.l2 } : undefined,
        };
        const sent = l2.write(write);
        if (onSent && l2.publishesAfter(write)) onSent();
        return sent;
      };
      l2Answer = await onL2(link, this.d.logger, spec.fill ? undefined : pk, (l2) => {
        if (spec.tags.length === 0) return writeL2(l2, []);
        if (spec.captured && !spec.captured.l2) return Promise.reject(new Error('tag generations unknown'));
        // A plain write captures its tags' generations first (a fill captured them before loading).
        return spec.captured?.l2 ? writeL2(l2, spec.captured.l2) : l2.captureTags(spec.tags).then((gens) => writeL2(l2, gens));
      }, spec.fill === undefined);
    }
    return this.afterL2(w, l2Answer);
  }

  /**
   * Plain writes of several keys (`mset`: kind `V`, unversioned, untagged, not fills), each exactly as
   * {@link write} would do it, but with one Redis command for all of them where the server takes one
   * (`RedisStore.writePlainMany`; a Cluster, an oversized entry or Redis unusable: each its own {@link write}).
   * A batch Redis did not answer marks every one of its keys dirty, as each write would.
   */
  async writePlainMany(writes: ReadonlyArray<{ pk: string; value: unknown; ttlSeconds: number }>): Promise<WriteOutcome[]> {
    const link = this.d.link;
    const spec = (w: { value: unknown; ttlSeconds: number }): WriteSpec => ({ kind: 'V', value: w.value, ttlSeconds: w.ttlSeconds, tags: [] });
    if (!link || !link.store.batchesWrites || writes.length < 2 || !link.usable()) return Promise.all(writes.map((w) => this.write(w.pk, spec(w))));
    const prepared = writes.map((w) => this.prepare(w.pk, spec(w)));
    // An oversized entry is refused by `write` on its own (deleting what Redis holds); the rest go in batches.
    const singles = new Map<number, Promise<WriteOutcome>>();
    prepared.forEach((w, i) => { if (w.oversized) singles.set(i, this.write(w.pk, w.spec)); });
    const batch = prepared.map((_, i) => i).filter((i) => !prepared[i].oversized);
    for (const i of batch) if (prepared[i].compressed) this.d.stats.increment('compressed');
    const batched: WriteOutcome[] = [];
    for (let from = 0; from < batch.length; from += MAX_KEYS_PER_SCRIPT) {
      const chunk = batch.slice(from, from + MAX_KEYS_PER_SCRIPT).map((i) => prepared[i]);
      const answer = await onL2(link, this.d.logger, undefined, (l2) => {
        const epoch = link.epoch ?? '';
        return l2.writePlainMany(chunk.map((w) => ({ key: w.pk, raw: w.envelope(epoch, []), ttlMs: w.physicalTtl })));
      }, true);
      // Redis did not answer: every key of the chunk is repaired before Redis is trusted again (as `write` marks its one key).
      if (answer === undefined) for (const w of chunk) link.dirty.add(w.pk);
      chunk.forEach((w, j) => { batched[batch[from + j]] = this.afterL2(w, answer); });
    }
    return Promise.all(prepared.map((_, i) => singles.get(i) ?? Promise.resolve(batched[i])));
  }

  /**
   * The part of a write that needs no tier: the stamp, times and TTLs, the body serialised (and compressed) once,
   * and the size check. Each envelope built from it only adds its header, and an untagged entry's envelope (the
   * same text for L2 and L1 while the epoch holds) is built once.
   */
  private prepare(pk: string, spec: WriteSpec): PreparedWrite {
    const stamp = this.d.fence.stamp();
    const now = Date.now();
    const ttlMs = this.withJitter(spec.ttlSeconds * 1000);
    const expiresAt = now + ttlMs;
    const physicalTtl = spec.kind === 'V' ? ttlMs + this.d.graceMs : ttlMs;
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
    const epochNow = this.d.link?.epoch ?? '';
    const probeLength = spec.tags.length === 0 ? envelope(epochNow, []).length - epochNow.length : envelope('', spec.tags.map(() => '0')).length;
    return { pk, spec, stamp, physicalTtl, envelope, compressed, json, oversized: probeLength * 2 > this.d.maxEntryBytes };
  }

  private async refuseOversized(w: PreparedWrite): Promise<WriteOutcome> {
    const { link } = this.d;
    this.d.stats.increment('oversized');
    this.d.logger?.warn(`cache entry ${w.pk} exceeds maxEntryBytes; not cached`);
    this.d.mem.clearKey(w.pk);
    const deleted = await onL2(link, this.d.logger, w.pk, (l2) => l2.delete([w.pk]));
    return { stored: false, l2: link && deleted !== undefined ? false : undefined, json: w.json };
  }

  /**
   * L1 once Redis answered (`l2Answer`; `undefined`: not reached or not asked): unless Redis holds something
   * newer, refused a fill, could not take a fill, or an invalidation arrived meanwhile (the fence) — then L1's
   * copy could be older than what other instances read, and L1 loses it. A plain write Redis did not take is
   * kept in L1 (and repaired in Redis on recovery); strict reads do not trust it meanwhile.
   */
  private afterL2(w: PreparedWrite, l2Answer: boolean | undefined): WriteOutcome {
    const { mem, link, fence } = this.d;
    const { pk, spec } = w;
    const reachedFor = link !== undefined && !spec.fill?.memoryOnly;
    if (reachedFor && (l2Answer === false || (l2Answer === undefined && spec.fill) || fence.changedSince(pk, w.stamp))) {
      mem.clearKey(pk);
      return { stored: l2Answer ?? false, l2: l2Answer, json: w.json };
    }
    const useL1 = this.d.l1Enabled && (spec.l1 !== false || !link);
    if (!useL1) {
      mem.clearKey(pk);
      return { stored: l2Answer ?? false, l2: l2Answer, json: w.json };
    }
    const l1Gens = spec.captured?.l1 ?? mem.tagGenerationsSync(spec.tags);
    const l1Ttl = typeof spec.l1 === 'object' ? Math.min(spec.l1.ttlSeconds * 1000, w.physicalTtl) : w.physicalTtl;
    const epoch = link?.epoch ?? '';
    const l1Accepted = mem.writeSync({
      key: pk, raw: w.envelope(epoch, l1Gens), kind: spec.kind, version: spec.version, ttlMs: l1Ttl, fill: spec.fill !== undefined,
      tagCheck: spec.captured ? { tags: spec.tags, generations: spec.captured.l1 } : undefined,
    });
    return { stored: l2Answer ?? l1Accepted, l2: l2Answer, json: w.json };
  }

  private withJitter(ms: number): number {
    return this.d.jitter > 0 ? Math.max(1, Math.round(ms * (1 - Math.random() * this.d.jitter))) : ms;
  }
}
