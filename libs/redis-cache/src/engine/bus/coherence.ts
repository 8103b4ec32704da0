import { randomUUID } from 'node:crypto';
import type { CacheStatsCounter } from '../cache-stats.js';
import type { CacheEngineOptions, CacheLogger, CacheStats, CoherenceMode } from '../cache.types.js';
import type { DirtySnapshot } from '../dirty-keys.js';
import { CacheConfigError } from '../cache.errors.js';
import { redisConnectionSettings } from '../redis-connection.js';
import type { RedisLink } from '../redis-link.js';
import type { SingleFlight } from '../single-flight.js';
import type { MemoryStore } from '../tiers/memory-store.js';
import { AnnouncementBatcher } from './announcement-batcher.js';
import type { BusInvalidation } from './bus-message.js';
import { clusterSlot } from './cluster-slot.js';
import { InvalidationBus } from './invalidation-bus.js';
import { InvalidationFence } from './invalidation-fence.js';

/** Dependencies of {@link Coherence}. */
export interface CoherenceDeps {
  prefix: string;
  mem: MemoryStore;
  flights: SingleFlight;
  stats: CacheStatsCounter;
  logger?: CacheLogger;
  /** The Redis link, absent in memory-only mode (then there is one instance and L1 is always trusted). */
  link?: RedisLink;
  commandTimeoutMs: number;
}

/**
 * Keeps L1 coherent across instances: decides per key whether an L1 entry may be served now (policy and
 * bus lease), applies invalidations to L1 — local ones and those arriving on the bus — and announces local
 * ones to the other instances, waiting for their acks when the policy is strict.
 * See `invalidation-bus.ts` for the protocol and the README for its cost.
 */
export class Coherence {
  /** Lets readers and writers notice an invalidation that overtook their Redis round trip. */
  readonly fence = new InvalidationFence();
  private readonly bus?: InvalidationBus;
  private readonly batcher?: AnnouncementBatcher;
  private readonly mode: CoherenceMode;
  private readonly byNamespace: ReadonlyMap<string, CoherenceMode>;

  constructor(private readonly deps: CoherenceDeps, options: CacheEngineOptions) {
    this.mode = options.coherence ?? 'strict';
    this.byNamespace = new Map(Object.entries(options.coherenceByNamespace ?? {}));
    const link = deps.link;
    if (link && options.bus?.enabled !== false) {
      const leaseMs = Math.max(50, options.bus?.leaseMs ?? 1500);
      const own = options.bus?.redisUrl
        ? redisConnectionSettings(options.bus.redisUrl, { commandTimeoutMs: deps.commandTimeoutMs, connectTimeoutMs: options.connectTimeoutMs ?? 2000 })
        : undefined;
      // On a Cluster the channel carries a hash tag, so its ack channels share its slot (sharded pub/sub).
      const sharded = link.topology === 'cluster';
      if (sharded && own) throw new CacheConfigError('bus.redisUrl cannot be used with a Redis Cluster: the bus subscribes at the cluster node that owns its channel');
      const channel = sharded ? `{${deps.prefix}!bus}` : `${deps.prefix}!bus`;
      this.bus = new InvalidationBus({
        connection: own?.options ?? link.connection,
        secrets: [...link.secrets, ...(own?.secrets ?? [])],
        channel,
        sharded: sharded ? { locate: () => link.nodeOfSlot(clusterSlot(channel)) } : undefined,
        instanceId: randomUUID(),
        leaseMs,
        heartbeatMs: Math.max(10, options.bus?.heartbeatMs ?? Math.floor(leaseMs / 4)),
        timeoutMs: Math.max(options.connectTimeoutMs ?? 2000, deps.commandTimeoutMs),
        // Straight through the guard (connection check, breaker, time bound), even while recovery runs.
        publish: (channel, payload) => link.store.publish(channel, payload),
        canPublish: () => link.client.status === 'ready',
        stats: deps.stats,
        logger: deps.logger,
        onInvalidation: (message) => this.apply(message),
        onMissedMessages: () => this.dropAll(),
      });
      const bus = this.bus;
      this.batcher = new AnnouncementBatcher((message, waitForAcks) => bus.broadcast(message, waitForAcks));
      // Heartbeats wait for the publishing connection: send one as soon as it is up, not a tick later.
      link.client.on('ready', () => bus.heartbeatNow());
    }
  }

  /** Starts the bus (bounded; never throws). */
  async start(): Promise<void> {
    await this.bus?.start();
  }

  /**
   * Waits, at most `timeoutMs`, until this instance holds a bus lease, so that a cache that has just
   * connected serves strict entries from L1 at once instead of after the first heartbeat tick.
   */
  async awaitLease(timeoutMs: number): Promise<void> {
    await this.bus?.waitForLease(timeoutMs);
  }

  /** Stops the bus. */
  async close(): Promise<void> {
    this.batcher?.flushAll();
    await this.bus?.close();
  }

  /** The policy of the entry under physical key `pk` (by namespace, the key's first segment). */
  modeOf(pk: string): CoherenceMode {
    if (this.byNamespace.size === 0) return this.mode;
    const logical = pk.startsWith(this.deps.prefix) ? pk.slice(this.deps.prefix.length) : pk;
    const end = logical.indexOf(':');
    return this.byNamespace.get(end < 0 ? logical : logical.slice(0, end)) ?? this.mode;
  }

  /** Whether any key may be strict (prefix, tag and clear invalidations then wait for acks). */
  private get anyStrict(): boolean {
    return this.mode === 'strict' || [...this.byNamespace.values()].includes('strict');
  }

  /** Whether the L1 entry under `pk` may be served now. Counts a bypass when it may not (unless `quiet`). */
  trusted(pk: string, quiet = false): boolean {
    if (!this.deps.link) return true;
    if (this.modeOf(pk) === 'eventual') return true;
    if (this.bus?.leaseValid()) return true;
    if (!quiet) this.deps.stats.increment('l1Bypassed');
    return false;
  }

  /** Applies an invalidation to L1 and to in-flight loads; synchronous (the bus acks right after). */
  apply(message: BusInvalidation): void {
    const { mem, flights } = this.deps;
    switch (message.op) {
      case 'keys':
        for (const key of message.keys) {
          this.fence.mark(key);
          flights.forget(key);
          mem.clearKey(key);
        }
        return;
      case 'prefix':
        this.fence.markAll();
        flights.forgetPrefix(message.prefix);
        mem.deleteByPrefixSync(message.prefix);
        return;
      case 'tags':
        // Tagged entries are checked against generations (and back-fills against the tag epoch): no fence.
        flights.forgetTags(message.tags);
        mem.bumpTagsSync(message.tags);
        return;
      case 'clear':
        this.dropAll();
        return;
      case 'many':
        for (const part of message.parts) this.apply(part);
        return;
    }
  }

  /**
   * Tells the other instances. With a strict policy for `pk` (or any strict namespace for prefix, tag and
   * clear invalidations) it waits until they have dropped their copies or lost their lease.
   * When the bus cannot publish, the invalidation is remembered as dirty and re-published on recovery.
   * Announcements made in the same event-loop turn share one message and one ack wait (`announcement-batcher.ts`).
   */
  async announce(message: BusInvalidation, options: { fromRecovery?: boolean } = {}): Promise<void> {
    if (!this.batcher || !this.deps.link) return;
    const outcome = await this.batcher.announce(message, this.isStrict(message));
    if (outcome !== 'unreachable') return;
    if (options.fromRecovery) {
      // Re-marking would loop recovery; the next outage's recovery (if any) announces everything again.
      this.deps.logger?.warn('cache bus could not re-announce repaired invalidations');
      return;
    }
    this.markDirty(this.deps.link.dirty, message);
  }

  private isStrict(message: BusInvalidation): boolean {
    if (message.op === 'keys') return message.keys.some((k) => this.modeOf(k) === 'strict');
    if (message.op === 'many') return message.parts.some((part) => this.isStrict(part));
    return this.anyStrict;
  }

  private markDirty(dirty: RedisLink['dirty'], message: BusInvalidation): void {
    if (message.op === 'keys') for (const key of message.keys) dirty.add(key);
    else if (message.op === 'prefix') dirty.addPrefix(message.prefix);
    else if (message.op === 'tags') dirty.addTags(message.tags);
    else if (message.op === 'many') for (const part of message.parts) this.markDirty(dirty, part);
    else dirty.addPrefix(this.deps.prefix);
  }

  /** After Redis recovered: re-announce what was repaired (other instances may hold it in L1). */
  async announceRepaired(repaired: DirtySnapshot): Promise<void> {
    const flags = { fromRecovery: true };
    if (repaired.overflowed) {
      await this.announce({ op: 'clear' }, flags);
      return;
    }
    // Issued together, they leave as one message with one ack wait.
    const parts: BusInvalidation[] = repaired.prefixes.map((prefix) => ({ op: 'prefix', prefix }));
    if (repaired.keys.length > 0) parts.push({ op: 'keys', keys: repaired.keys });
    if (repaired.tags.length > 0) parts.push({ op: 'tags', tags: repaired.tags });
    await Promise.all(parts.map((part) => this.announce(part, flags)));
  }

  /**
   * After Redis recovered from an outage: without a bus, L1 may have missed other instances' updates, so it
   * is dropped. With a bus, the lease already answers that question — a lapsed lease or a resubscription drops
   * L1 — and dropping it again here would only send every key to the loader a second time.
   */
  afterRecovery(): void {
    if (!this.bus) this.dropAll();
  }

  /** Drops every L1 entry and forgets in-flight loads (they may carry values read before a missed invalidation). */
  dropAll(): void {
    this.fence.markAll();
    this.deps.flights.forgetPrefix('');
    this.deps.mem.clearAll();
  }

  /** The bus part of the stats. */
  busStats(): CacheStats['bus'] {
    if (!this.bus) return { state: 'disabled', peers: 0, lastReceivers: 0 };
    const peers = this.bus.peers;
    return { state: this.bus.state, peers: peers.alive, lastReceivers: peers.lastReceivers };
  }
}
