import { randomUUID } from 'node:crypto';
import type { CacheStatsCounter } from '../cache-stats.js';
import type { CacheEngineOptions, CacheLogger, CacheStats, CoherenceMode } from '../cache.types.js';
import type { DirtySnapshot } from '../dirty-keys.js';
import { CacheConfigError, CacheWriteRefusedError } from '../cache.errors.js';
import { redisConnectionSettings } from '../redis-connection.js';
import type { RedisLink } from '../redis-link.js';
import type { SingleFlight } from '../single-flight.js';
import type { MemoryStore } from '../tiers/memory-store.js';
import { AnnouncementBatcher } from './announcement-batcher.js';
import type { BusInvalidation } from './bus-message.js';
import { ChangeHints } from './change-hints.js';
import { clusterSlot } from './cluster-slot.js';
import { coordinationNames } from './coordination-keys.js';
import { Coordinator } from './coordinator.js';
import { type BroadcastOutcome, InvalidationBus } from './invalidation-bus.js';
import { InvalidationFence } from './invalidation-fence.js';

/** An announcement sent ahead of its write's answer (see {@link Coherence.announceAhead}): how it ended. */
export type AnnouncedAhead = Promise<{ outcome: BroadcastOutcome } | { error: unknown }>;

/** Dependencies of {@link Coherence}. */
export interface CoherenceDeps {
  prefix: string;
  mem: MemoryStore;
  flights: SingleFlight;
  stats: CacheStatsCounter;
  logger?: CacheLogger;
  /** The Redis link, absent in memory-only mode (then there is one instance and everything is trusted). */
  link?: RedisLink;
  commandTimeoutMs: number;
}

const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.ceil(at - performance.now()))));

/**
 * Keeps the cache coherent across instances and through Redis faults: decides per key whether an entry may
 * be read from L1 or L2 now (policy, bus lease, the coordinator's trust), applies invalidations to L1 —
 * local ones and those arriving on the bus — announces local ones to the other instances (waiting for their
 * acks when the policy is strict), and, when a strict write cannot be confirmed, holds its acknowledgement
 * until every peer has stopped trusting its cache (`coordinator.ts`).
 * See `invalidation-bus.ts` and `coordinator.ts` for the protocol and the README for its cost.
 */
export class Coherence {
  /** Lets readers and writers notice an invalidation that overtook their Redis round trip. */
  readonly fence = new InvalidationFence();
  /** Every change this instance learns of, for the change feed (see `change-hints.ts`). */
  readonly hints: ChangeHints;
  private readonly bus?: InvalidationBus;
  private readonly batcher?: AnnouncementBatcher;
  private readonly coordinator?: Coordinator;
  private readonly mode: CoherenceMode;
  private readonly byNamespace: ReadonlyMap<string, CoherenceMode>;
  /** Writes being made safe (see {@link settle}); waited for on close. */
  private readonly settling = new Set<Promise<void>>();
  private closing = false;
  /** When a strict write was last admitted (its commit and cache write may still be on their way). */
  private lastAdmittedAt = Number.NEGATIVE_INFINITY;
  /** This instance marked itself gone: from then on an unconfirmed strict write is not acknowledged. */
  private left = false;

  constructor(private readonly deps: CoherenceDeps, options: CacheEngineOptions) {
    this.hints = new ChangeHints({ stats: deps.stats, logger: deps.logger });
    this.mode = options.coherence ?? 'strict';
    this.byNamespace = new Map(Object.entries(options.coherenceByNamespace ?? {}));
    const link = deps.link;
    if (!link) return;
    const leaseMs = Math.max(50, options.bus?.leaseMs ?? 1500);
    const writeWindowMs = Math.max(4 * leaseMs, options.bus?.writeWindowMs ?? 30_000);
    const sharded = link.topology === 'cluster';
    const names = coordinationNames(deps.prefix, sharded);
    const instanceId = randomUUID();
    if (options.bus?.enabled !== false) {
      const own = options.bus?.redisUrl
        ? redisConnectionSettings(options.bus.redisUrl, { commandTimeoutMs: deps.commandTimeoutMs, connectTimeoutMs: options.connectTimeoutMs ?? 2000 })
        : undefined;
      // On a Cluster the channel carries a hash tag, so its ack channels share its slot (sharded pub/sub).
      if (sharded && own) throw new CacheConfigError('bus.redisUrl cannot be used with a Redis Cluster: the bus subscribes at the cluster node that owns its channel');
      this.bus = new InvalidationBus({
        connection: own?.options ?? link.connection,
        secrets: [...link.secrets, ...(own?.secrets ?? [])],
        channel: names.channel,
        sharded: sharded ? { locate: () => link.nodeOfSlot(clusterSlot(names.channel)) } : undefined,
        instanceId,
        leaseMs,
        timeoutMs: Math.max(options.connectTimeoutMs ?? 2000, deps.commandTimeoutMs),
        // Straight through the guard (connection check, breaker, time bound), even while recovery runs.
        publish: (channel, payload) => link.store.publish(channel, payload),
        stats: deps.stats,
        logger: deps.logger,
        onInvalidation: (message) => {
          this.apply(message);
          this.hints.emit(message);
        },
        onMissedMessages: () => this.dropAll(),
        onSubscribed: () => this.coordinator?.heartbeatSoon(),
        recordMembers: () => this.coordinator?.liveMembers() ?? [],
      });
      const bus = this.bus;
      this.batcher = new AnnouncementBatcher((message, waitForAcks) => bus.broadcast(message, waitForAcks));
    }
    const bus = this.bus;
    this.coordinator = new Coordinator({
      store: link.store,
      connected: () => link.client.status === 'ready',
      key: names.record,
      channel: bus ? names.channel : undefined,
      sharded,
      instanceId,
      leaseMs,
      heartbeatMs: Math.max(10, options.bus?.heartbeatMs ?? Math.floor(leaseMs / 4)),
      writeWindowMs,
      commandTimeoutMs: deps.commandTimeoutMs,
      identity: () => link.identity(),
      serving: () => bus?.serving() ?? false,
      onHeartbeatSent: (id, sentAt, serving) => bus?.noteHeartbeatSent(id, sentAt, serving),
      onHeartbeatLanded: (id, sentAt) => bus?.noteHeartbeatLanded(id, sentAt),
      // Entries of another epoch are unreachable in Redis from now on, and L1 is dropped: an epoch can change
      // without this instance ever distrusting its cache (a peer re-created an evicted coordination record),
      // and until this heartbeat told it so, its L1 may have taken what it wrote in the old epoch.
      onEpoch: (epoch, previous) => {
        link.epoch = epoch;
        if (previous !== undefined) this.dropAll();
      },
      onTrustRegained: () => this.dropAll(),
      observer: options.bus?.observer === true,
      stats: deps.stats,
      logger: deps.logger,
    });
  }

  /** Starts the bus and the coordinator's heartbeats (bounded; never throws). */
  async start(): Promise<void> {
    this.coordinator?.start();
    await this.bus?.start();
  }

  /**
   * Waits, at most `timeoutMs`, until this instance holds a bus lease, so that a cache that has just
   * connected serves strict entries from L1 at once instead of after the first heartbeat tick.
   */
  async awaitLease(timeoutMs: number): Promise<void> {
    await this.bus?.waitForLease(timeoutMs);
  }

  /** After Redis was repaired: rejoin the group (see `Coordinator.rejoin`); throws when that did not land. */
  async rejoin(): Promise<void> {
    await this.coordinator?.rejoin();
  }

  /**
   * Leaves the group and stops the bus. First no new strict write is admitted, one admitted within the
   * admission margin is given that long to reach its cache write, and the writes being settled are waited for
   * (at most `drainMs`); then this instance marks itself gone — only if it owes nobody a
   * repair and every write it settled was confirmed, else its peers expire it after its write window. From
   * then on a strict write it cannot confirm is not acknowledged: `settle` throws.
   */
  async close(owesRepair: () => boolean, drainMs: number): Promise<void> {
    this.closing = true;
    // A write admitted just before may still be committing: its cache write must find the group as it
    // was (announced, acked), not an instance that has already left and can only refuse it. Admitted writes
    // commit within the admission margin (see `Coordinator.admissionMarginMs`), so that is how long to wait.
    if (this.coordinator && this.lastAdmittedAt > Number.NEGATIVE_INFINITY) await sleepUntil(this.lastAdmittedAt + this.coordinator.admissionMarginMs);
    this.batcher?.flushAll();
    let timer: NodeJS.Timeout | undefined;
    const drained = Promise.allSettled([...this.settling]);
    await Promise.race([drained, new Promise((resolve) => { timer = setTimeout(resolve, drainMs); })]);
    clearTimeout(timer);
    const clean = !owesRepair() && this.settling.size === 0 && !(this.coordinator?.isDark ?? false);
    this.left = clean;
    await this.coordinator?.stop(clean);
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

  /**
   * Whether the L1 entry under `pk` may be served now: eventual keys always; strict keys while this instance
   * holds its bus lease and the cache is trusted (no member silent). Counts a bypass when not (unless `quiet`).
   */
  trusted(pk: string, quiet = false): boolean {
    if (!this.deps.link || this.modeOf(pk) === 'eventual') return true;
    if (this.bus?.leaseValid() && this.coordinator!.trusted()) return true;
    if (!quiet) this.deps.stats.increment('l1Bypassed');
    return false;
  }

  /** Whether Redis may be read (and fills cached) for `pk` now: eventual keys always, strict ones while trusted. */
  l2Trusted(pk: string): boolean {
    return !this.coordinator || this.modeOf(pk) === 'eventual' || this.coordinator.trusted();
  }

  /**
   * Throws `CacheWriteRefusedError` when a strict write to `pk` cannot be made safe now (see
   * `CacheEngine.admitWrite`).
   */
  admitWrite(pk: string): void {
    if (!this.coordinator || this.modeOf(pk) !== 'strict') return;
    if (this.closing) throw new CacheWriteRefusedError('cache shutting down: this instance takes no more strict writes', 1);
    this.coordinator.admit();
    this.lastAdmittedAt = performance.now();
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
   * Makes a local write safe for every instance before the caller acknowledges it. `reachedRedis`: Redis
   * answered the write (it took it, or refused it as older). Then the other instances are told — unless
   * `announced`: they were told as the write left (see {@link announceAhead}) — and, for a strict write,
   * waited for (acks, or their leases running out). When Redis did not take the write or the
   * announcement could not be published, the write is remembered as dirty (repaired and re-announced on
   * recovery) and, if strict, this instance goes dark and resolves only once every peer has stopped
   * trusting its cache (`Coordinator.goDark`).
   */
  async settle(message: BusInvalidation, reachedRedis: boolean, announced?: AnnouncedAhead): Promise<void> {
    if (!this.deps.link || !this.coordinator) {
      this.hints.emit(message);
      return;
    }
    const settling = this.settleOnce(message, reachedRedis, announced);
    this.settling.add(settling);
    try {
      await settling;
    } finally {
      this.settling.delete(settling);
      // Acknowledged (or refused, and then a reader finds the entry unchanged): the feed reads it either way.
      this.hints.emit(message);
    }
  }

  /**
   * Whether every change acknowledged anywhere reaches this instance as a hint before its writer acknowledges
   * it: always with one instance (no Redis); with Redis while the bus lease is held and no peer is silent
   * (then every writer waits for this instance's ack). Else a watch reads on its fallback timer.
   */
  hintsComplete(): boolean {
    if (!this.deps.link) return true;
    return (this.bus?.leaseValid() ?? false) && this.coordinator!.trusted();
  }

  /**
   * Announces a write as soon as its command is on the data connection, before Redis answers it — for a write
   * that `RedisStore.publishesAfter` says Redis runs before the PUBLISH the bus then sends on that same
   * connection. So when a peer drops its copy, Redis already holds the new value, as when the announcement
   * follows the answer; the write's round trip and the announcement's overlap instead of following each
   * other. Pass the result to {@link settle}, which waits for it as for its own announcement (acks waited for
   * under the strict policy even should Redis then not answer the write: that write is held as dirty anyway).
   * Never rejects: a failure is handed to `settle`. `undefined` without a bus.
   */
  announceAhead(message: BusInvalidation): AnnouncedAhead | undefined {
    if (!this.batcher || !this.coordinator) return undefined;
    return this.batcher.announce(message, this.isStrict(message)).then((outcome) => ({ outcome }), (error: unknown) => ({ error }));
  }

  private async settleOnce(message: BusInvalidation, reachedRedis: boolean, announced?: AnnouncedAhead): Promise<void> {
    const link = this.deps.link!;
    if (!this.coordinator) return;
    const strict = this.isStrict(message);
    let confirmed = reachedRedis;
    if (announced) {
      const ahead = await announced;
      if ('error' in ahead) throw ahead.error;
      if (ahead.outcome === 'unreachable') confirmed = false;
    } else if (this.batcher) {
      const outcome = await this.batcher.announce(message, strict && reachedRedis);
      if (outcome === 'unreachable') confirmed = false;
    }
    if (confirmed) return;
    this.markDirty(link.dirty, message);
    if (!strict) return;
    if (this.left) {
      // Its peers no longer wait for it nor distrust on its silence: an unconfirmed write cannot be made safe.
      throw new CacheWriteRefusedError('cache closed: this instance has left its group and could not confirm the write', 1);
    }
    const safeAt = this.coordinator.goDark();
    if (safeAt === undefined) {
      this.deps.logger?.error('cache strict write acknowledged without confirmation: this instance was never registered with its peers (call admitWrite before committing)');
      return;
    }
    await sleepUntil(safeAt);
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

  /** After Redis recovered: re-announce what was repaired (other instances may hold it in L1). Best effort. */
  async announceRepaired(repaired: DirtySnapshot): Promise<void> {
    if (!this.batcher) return;
    const parts: BusInvalidation[] = repaired.overflowed ? [{ op: 'clear' }] : repaired.prefixes.map((prefix) => ({ op: 'prefix', prefix }));
    if (!repaired.overflowed && repaired.keys.length > 0) parts.push({ op: 'keys', keys: repaired.keys });
    if (!repaired.overflowed && repaired.tags.length > 0) parts.push({ op: 'tags', tags: repaired.tags });
    // Issued together, they leave as one message. Not waited for: peers that did not hear this instance while
    // it was silent distrusted their caches, and drop L1 when they trust them again.
    const outcomes = await Promise.all(parts.map((part) => this.batcher!.announce(part, false)));
    if (outcomes.includes('unreachable')) this.deps.logger?.warn('cache bus could not re-announce repaired invalidations');
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
    // Messages may have been missed: anything may have changed.
    this.hints.emit({ op: 'clear' });
  }

  /** The bus and coordination part of the stats. */
  busStats(): CacheStats['bus'] {
    const coordinator = this.coordinator;
    const members = coordinator?.members ?? { live: 0, silent: 0 };
    const coordination = coordinator
      ? { trusted: coordinator.trusted(), dark: coordinator.isDark, epochKnown: coordinator.epoch !== undefined, silentMembers: members.silent }
      : { trusted: true, dark: false, epochKnown: false, silentMembers: 0 };
    if (!this.bus) return { state: 'disabled', peers: members.live, lastReceivers: 0, ...coordination };
    const peers = this.bus.peers;
    return { state: this.bus.state, peers: Math.max(peers.alive, members.live), lastReceivers: peers.lastReceivers, ...coordination };
  }
}
