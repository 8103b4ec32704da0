import { Redis, type RedisOptions } from 'ioredis';
import type { CacheStatsCounter } from '../cache-stats.js';
import type { CacheLogger } from '../cache.types.js';
import { scrubSecrets } from '../redis-connection.js';
import { AckWaiter, type AckOutcome } from './ack-waiter.js';
import { decodeBusMessage, encodeBusMessage, type BusInvalidation } from './bus-message.js';

/** State of the bus, for stats and health. `live` = subscribed and the L1 lease is valid. */
export type BusState = 'connecting' | 'live' | 'lapsed' | 'closed';

/** How a broadcast ended: acked by every receiver, waited out the lease, not sent, or sent without waiting. */
export type BroadcastOutcome = AckOutcome | 'unreachable' | 'sent';

/** Options of {@link InvalidationBus}. */
export interface InvalidationBusOptions {
  /** The fail-fast connection settings shared with the data client (the bus opens its own connection). */
  connection: RedisOptions;
  secrets: readonly string[];
  /** Broadcast channel; acks go to `<channel>:ack:<instanceId>`. */
  channel: string;
  instanceId: string;
  /** How long one heartbeat round trip lets this instance serve L1 entries under the strict policy. */
  leaseMs: number;
  /**
   * Cluster mode: sharded pub/sub (`SSUBSCRIBE`/`SPUBLISH`). The channel must carry a hash tag so the ack
   * channels share its slot, and `locate` names the node that owns that slot now; the subscriber connects
   * there (re-asked before every reconnect, so a moved slot is followed).
   */
  sharded?: { locate: () => { host: string; port: number } | undefined };
  /** Bound of SUBSCRIBE and of connecting. */
  timeoutMs: number;
  /** PUBLISH on the data connection, through the guard; resolves to the receiver count, rejects on failure. */
  publish: (channel: string, payload: string) => Promise<number>;
  stats: CacheStatsCounter;
  logger?: CacheLogger;
  /** Applies a remote invalidation to L1, synchronously (it is acked right after). */
  onInvalidation: (message: BusInvalidation) => void;
  /** The subscription (re)started or the lease lapsed: messages may have been missed, drop L1. */
  onMissedMessages: () => void;
  /** Subscribed (again): a heartbeat now gains the lease without waiting for the next tick. */
  onSubscribed?: () => void;
  /**
   * The other members the coordination record lists as live (see `coordinator.ts`): instances that may hold
   * an L1 lease even though this bus has not heard them yet — its subscription is younger than a lease.
   */
  recordMembers?: () => readonly string[];
  /** Monotonic clock in ms (injectable for tests). */
  now?: () => number;
}

/**
 * The cross-instance invalidation bus: Redis pub/sub on a connection of its own, fail-fast like the rest.
 *
 * Guarantee (for entries under the strict policy): when {@link broadcast} with `waitForAcks` resolves, no
 * live instance will serve an L1 entry that the invalidation removed. Two mechanisms make that hold:
 * - **Acks.** Receivers drop the L1 entries, then ack on the sender's reply channel. The sender waits for
 *   as many acks as PUBLISH reported receivers and for every serving instance it heard from within the lease
 *   (so a subscriber Redis already dropped but that has not noticed yet is still waited for) — or, once its
 *   own subscription is a lease old and the broadcast came back through it, only for the serving instances
 *   it heard from within the lease: a silent one holds no lease (the proof is in `ack-waiter.ts`). A peer
 *   whose socket Redis still counts but that is gone (black-holed) then costs one lease wait, not one per
 *   write; a peer whose subscription is broken but whose heartbeats still arrive says `serving: false` in
 *   them and is not waited for at all (see `bus-message.ts`).
 * - **Lease.** Heartbeats are published by the coordination script (`coordinator.ts`) and announced here
 *   with {@link noteHeartbeatSent}; an instance may serve strict L1 entries only until `sentAt + leaseMs` of
 *   the last heartbeat of its own, sent while serving, that came back through its subscription. Redis
 *   delivers in order on one connection, so that heartbeat proves every invalidation published before it was
 *   already applied. An instance that is partitioned, frozen or disconnected stops serving L1 at most
 *   `leaseMs` after the sender's PUBLISH was answered — which is exactly how long the sender waits at most.
 *   Losing the subscription ends the lease at once.
 * After a reconnect (messages were lost) or a lapsed lease, the engine drops L1 before serving it again. A
 * subscription whose own heartbeats stop coming back (black-holed, or on a Cluster a moved slot) is dropped
 * and made again.
 *
 * On a Redis Cluster plain PUBLISH is forwarded to every node over the cluster bus, and two messages sent to
 * different nodes can reach a subscriber in either order, which would break the lease argument; PUBLISH also
 * counts only the receiving node's subscribers. So the bus uses sharded pub/sub there: every instance
 * publishes (`SPUBLISH`) to, and subscribes (`SSUBSCRIBE`) at, the one node owning the channel's slot —
 * the same single ordered stream as on one server, and an exact receiver count. (The ack waiter would cope
 * with an undercount anyway: it also waits for every instance heard within the lease.)
 */
export class InvalidationBus {
  private readonly sub: Redis;
  private readonly now: () => number;
  private readonly ackChannel: string;
  private subscribed = false;
  private closed = false;
  private leaseUntil = 0;
  private seq = 0;
  /** Own heartbeats sent while serving, by id, with their local send time (what a lease starts from). */
  private readonly heartbeatsSent = new Map<string, number>();
  /** When this instance last sent a heartbeat saying it does not serve: no lease from any sent before it. */
  private notServingSince = 0;
  /** When one of this instance's own heartbeats last came back through the subscription. */
  private lastOwnReceipt = Number.NEGATIVE_INFINITY;
  /** Own heartbeats that landed in Redis and have not come back through the subscription yet. */
  private readonly landed = new Map<string, number>();
  /** Serving peers by the local time they were last heard (what the ack waiter waits for). */
  private readonly members = new Map<string, number>();
  /** Peers whose latest heartbeat said they hold no lease. */
  private readonly notServing = new Set<string>();
  private readonly waits = new Map<string, AckWaiter>();
  private lastReceivers = 0;
  /** When the current subscription's SUBSCRIBE was answered; undefined while not (yet) known for it. */
  private subscribedAt?: number;
  private lastForcedResubscribe = 0;

  constructor(private readonly options: InvalidationBusOptions) {
    this.now = options.now ?? (() => performance.now());
    this.ackChannel = InvalidationBus.ackChannelOf(options.channel, options.instanceId);
    const baseRetry = options.connection.retryStrategy;
    this.sub = new Redis({
      ...options.connection,
      lazyConnect: true,
      autoResubscribe: false,
      enableAutoPipelining: false,
      enableOfflineQueue: false,
      retryStrategy: (attempt) => {
        this.aim();
        return baseRetry ? baseRetry(attempt) : Math.min(attempt * 50, 2000);
      },
    });
    this.sub.on('ready', () => void this.subscribe());
    this.sub.on('close', () => this.lost());
    this.sub.on('error', (error: Error) => {
      options.logger?.debug?.(`cache bus error: ${scrubSecrets(error.message, options.secrets)}`);
    });
    this.sub.on(options.sharded ? 'smessage' : 'message', (channel: string, raw: string) => this.receive(channel, raw));
  }

  /**
   * Sharded mode: points the subscriber at the current owner of the channel's slot before it (re)connects.
   * ioredis' connector reads host and port from the client's own options object on every connect.
   */
  private aim(): void {
    const node = this.options.sharded?.locate();
    if (!node) return;
    this.sub.options.host = node.host;
    this.sub.options.port = node.port;
  }

  private static ackChannelOf(channel: string, instanceId: string): string {
    return `${channel}:ack:${instanceId}`;
  }

  /** Connects and subscribes, bounded by the connect timeout; never throws (ioredis keeps retrying). */
  async start(): Promise<void> {
    this.aim();
    let deadline: NodeJS.Timeout | undefined;
    const connected = this.sub.connect().then(() => true, (error: unknown) => {
      this.options.logger?.warn(`cache bus not connected yet (${scrubSecrets(String(error), this.options.secrets)}); retrying`);
      return false;
    });
    await Promise.race([connected, new Promise<boolean>((resolve) => { deadline = setTimeout(() => resolve(false), this.options.timeoutMs); })]);
    clearTimeout(deadline);
  }

  /** Closes the subscription; idempotent. (The goodbye is the coordinator's: `coordinator.ts#stop`.) */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subscribed = false;
    this.leaseUntil = 0;
    this.sub.disconnect(false);
  }

  /** Whether strict L1 entries may be served now. */
  leaseValid(): boolean {
    return this.leaseUntil > this.now();
  }

  /**
   * What this instance's heartbeats say: whether it may serve L1 under a lease from them. True while it holds
   * a lease (even with its subscription lost: the lease runs out by itself), or while its subscription is
   * new or has just delivered one of its own heartbeats (then the next heartbeats are what grant a lease).
   * False only when it holds no lease and will hold none from any heartbeat sent before a later true one.
   */
  serving(): boolean {
    if (this.closed) return false;
    if (this.leaseValid()) return true;
    const now = this.now();
    return this.subscribed && (now - (this.subscribedAt ?? 0) < this.options.leaseMs || now - this.lastOwnReceipt < this.options.leaseMs);
  }

  /**
   * The coordinator is publishing heartbeat `id`, sent at `sentAt`, saying `serving`. A serving heartbeat
   * that comes back through the subscription renews the lease; one that says otherwise rules out a lease
   * from every heartbeat sent before it. Also notices a subscription whose own heartbeats stopped coming
   * back, and makes it again.
   */
  noteHeartbeatSent(id: string, sentAt: number, serving: boolean): void {
    const now = this.now();
    for (const [sent, at] of this.heartbeatsSent) if (now - at > this.options.leaseMs) this.heartbeatsSent.delete(sent);
    if (serving) this.heartbeatsSent.set(id, sentAt);
    else this.notServingSince = sentAt;
  }

  /** Heartbeat `id` (sent at `sentAt`) landed in Redis: it must come back through the subscription. */
  noteHeartbeatLanded(id: string, sentAt: number): void {
    if (this.subscribed) this.landed.set(id, sentAt);
    this.checkSubscription(this.now());
  }

  /** Resolves once a lease is held, or after `timeoutMs` (never rejects). */
  async waitForLease(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && !this.leaseValid() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** The bus state (see {@link BusState}). */
  get state(): BusState {
    if (this.closed) return 'closed';
    if (!this.subscribed) return 'connecting';
    return this.leaseValid() ? 'live' : 'lapsed';
  }

  /** Instances heard from within the lease, this one excluded, and the receiver count of the last broadcast. */
  get peers(): { alive: number; lastReceivers: number } {
    return { alive: this.alive(this.now()).size, lastReceivers: this.lastReceivers };
  }

  /**
   * Publishes an invalidation. With `waitForAcks`, resolves once it is confirmed (see the class comment),
   * at most `leaseMs` after PUBLISH was answered; `unreachable` if it could not be published at all.
   */
  async broadcast(invalidation: BusInvalidation, waitForAcks: boolean): Promise<BroadcastOutcome> {
    this.seq += 1;
    const id = String(this.seq);
    const payload = encodeBusMessage({ ...invalidation, from: this.options.instanceId, id, ack: waitForAcks });
    const waiter = waitForAcks ? new AckWaiter() : undefined;
    if (waiter) this.waits.set(id, waiter);
    try {
      let receivers: number;
      try {
        receivers = await this.options.publish(this.options.channel, payload);
      } catch (error) {
        // Counted and logged by the guard; the caller marks the keys for re-publication on recovery.
        this.options.logger?.debug?.(`cache bus publish failed: ${(error as Error).message}`);
        this.options.stats.increment('busUnconfirmed');
        return 'unreachable';
      }
      this.options.stats.increment('busPublished');
      this.lastReceivers = receivers;
      if (!waiter) return 'sent';
      const window = this.window();
      const outcome = await waiter.settle({
        receivers, members: this.members, windowMs: window, maxWaitMs: window, now: this.now, countedFrom: this.countedFrom(window),
      });
      if (outcome === 'lease-expired') this.options.stats.increment('busAckTimeouts');
      return outcome;
    } finally {
      this.waits.delete(id);
    }
  }

  /**
   * From when acks alone may confirm a broadcast (the waiter's counted rule). Redis counts only the peers
   * subscribed now, and the waiter also waits for every peer heard within the lease — but a subscription
   * younger than the lease has not heard every peer that may still serve: one whose own subscription just
   * dropped keeps its lease until it runs out, and is neither counted by Redis nor heard yet. When the
   * coordination record lists such a peer, acks confirm only once this subscription is a lease old (by then
   * its heartbeats have been heard, or its lease is over).
   */
  private countedFrom(window: number): number {
    const now = this.now();
    if (this.subscribedAt !== undefined && now - this.subscribedAt >= window) return Number.NEGATIVE_INFINITY;
    const unheard = (this.options.recordMembers?.() ?? []).some((id) => {
      const seen = this.members.get(id);
      return id !== this.options.instanceId && !this.notServing.has(id) && (seen === undefined || now - seen > window);
    });
    return unheard ? (this.subscribedAt ?? now) + window : Number.NEGATIVE_INFINITY;
  }

  /** The lease as another instance may count it, seen from here: 1 % + 5 ms for timers and clock rates. */
  private window(): number {
    return Math.ceil(this.options.leaseMs * 1.01) + 5;
  }

  private alive(now: number): Set<string> {
    const alive = new Set<string>();
    for (const [id, seen] of this.members) {
      if (now - seen <= this.window()) alive.add(id);
      else this.members.delete(id);
    }
    return alive;
  }

  private async subscribe(): Promise<void> {
    if (this.closed) return;
    let deadline: NodeJS.Timeout | undefined;
    try {
      const channels = [this.options.channel, this.ackChannel];
      await Promise.race([
        this.options.sharded ? this.sub.ssubscribe(...channels) : this.sub.subscribe(...channels),
        new Promise<never>((_, reject) => { deadline = setTimeout(() => reject(new Error('subscribe timed out')), this.options.timeoutMs); }),
      ]);
    } catch (error) {
      this.options.stats.increment('errors');
      this.options.logger?.warn(`cache bus subscribe failed (${scrubSecrets((error as Error).message, this.options.secrets)}); reconnecting`);
      this.sub.disconnect(true);
      return;
    } finally {
      clearTimeout(deadline);
    }
    if (this.closed) return;
    // Taken after the reply, so it is no earlier than Redis subscribed us (see AckWaiter's heard rule).
    this.subscribedAt = this.now();
    this.subscribed = true;
    // Whatever was published while we were not subscribed is lost: L1 may hold entries it invalidated.
    this.options.stats.increment('busResubscribes');
    this.options.onMissedMessages();
    this.options.logger?.log('cache bus subscribed');
    this.options.onSubscribed?.();
  }

  private lost(): void {
    if (this.closed) return;
    if (this.subscribed) this.options.logger?.warn('cache bus connection lost; strict L1 entries are served until the lease lapses, then not until resubscribed');
    this.subscribed = false;
    this.subscribedAt = undefined;
    // The lease is left to run out by itself rather than zeroed: while it runs this instance's heartbeats
    // still say it serves, so a writer that heard it waits for its ack (or for the lease to pass) before
    // acknowledging; L1 stays correct until then, and a short blip (a Redis restart) does not send every read
    // to the loader.
    this.heartbeatsSent.clear();
    this.landed.clear();
  }

  /**
   * Subscribed, yet no heartbeat of our own came back for two leases (black-holed, or on a Cluster a moved
   * slot — Redis then drops the shard subscription without closing the connection): reconnect, which also
   * re-locates the slot's owner.
   */
  private checkSubscription(now: number): void {
    if (this.closed || !this.subscribed) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const sentAt of this.landed.values()) oldest = Math.min(oldest, sentAt);
    if (now - oldest <= 2 * this.options.leaseMs || now - this.lastForcedResubscribe <= 2 * this.options.leaseMs) return;
    this.lastForcedResubscribe = now;
    this.landed.clear();
    this.options.logger?.warn('cache bus heartbeats are not coming back; resubscribing');
    this.leaseUntil = 0;
    this.sub.disconnect(true);
  }

  private receive(channel: string, raw: string): void {
    const message = decodeBusMessage(raw);
    if (!message) {
      this.options.stats.increment('errors');
      this.options.logger?.warn('cache bus ignored a malformed message');
      return;
    }
    if (channel === this.ackChannel) {
      if (message.op === 'ack') this.waits.get(message.id)?.ack(message.from);
      return;
    }
    const self = message.from === this.options.instanceId;
    switch (message.op) {
      case 'hb':
        if (self) this.renew(message.id);
        else this.heard(message.from, message.serving !== false);
        return;
      case 'bye':
        this.members.delete(message.from);
        this.notServing.delete(message.from);
        for (const waiter of this.waits.values()) waiter.forget(message.from);
        return;
      case 'ack':
        return;
      default:
        break;
    }
    if (self) {
      const waiter = this.waits.get(message.id);
      // Before the SUBSCRIBE reply was taken in, the subscription's age is unknown: count the receipt only.
      if (this.subscribedAt === undefined) waiter?.ack(message.from);
      else waiter?.selfReceived(message.from, this.subscribedAt, this.members);
      return;
    }
    if (!this.notServing.has(message.from)) this.members.set(message.from, this.now());
    this.options.stats.increment('busReceived');
    this.options.onInvalidation(message);
    if (message.ack) this.sendAck(message.from, message.id);
  }

  /** A peer's heartbeat: a serving peer is waited for; one that serves no L1 is not. */
  private heard(peer: string, serving: boolean): void {
    if (serving) {
      this.notServing.delete(peer);
      this.members.set(peer, this.now());
    } else {
      this.notServing.add(peer);
      this.members.delete(peer);
      for (const waiter of this.waits.values()) waiter.exempt(peer);
    }
  }

  private renew(heartbeatId: string): void {
    const now = this.now();
    this.lastOwnReceipt = now;
    const landedAt = this.landed.get(heartbeatId) ?? this.heartbeatsSent.get(heartbeatId);
    if (landedAt !== undefined) for (const [id, at] of this.landed) if (at <= landedAt) this.landed.delete(id);
    const sentAt = this.heartbeatsSent.get(heartbeatId);
    if (sentAt === undefined || sentAt <= this.notServingSince) return;
    this.heartbeatsSent.delete(heartbeatId);
    if (this.leaseUntil !== 0 && this.leaseUntil <= now) {
      // The lease lapsed on a live connection (a frozen event loop, a stalled network): be conservative.
      this.options.stats.increment('busResubscribes');
      this.options.onMissedMessages();
    }
    this.leaseUntil = Math.max(this.leaseUntil, sentAt + this.options.leaseMs);
  }

  private sendAck(to: string, id: string): void {
    const payload = encodeBusMessage({ op: 'ack', from: this.options.instanceId, id });
    this.options.publish(InvalidationBus.ackChannelOf(this.options.channel, to), payload).catch((error: unknown) => {
      // The sender then waits out the lease instead, which is still correct.
      this.options.logger?.debug?.(`cache bus ack not sent: ${(error as Error).message}`);
    });
  }
}
