import { CacheWriteRefusedError, CircuitOpenError, RedisUnavailableError } from '../cache.errors.js';
import type { CacheStatsCounter } from '../cache-stats.js';
import type { CacheLogger } from '../cache.types.js';
import { randomToken } from '../random-token.js';
import type { RedisStore } from '../tiers/redis-store.js';
import { encodeBusMessage } from './bus-message.js';
import { judgeView, mergeList, parseHeartbeatReply, type MembershipView } from './membership-view.js';
import { RedisClock } from './redis-clock.js';

/** Options of {@link Coordinator}. */
export interface CoordinatorOptions {
  /** The Redis tier (guarded calls); the coordinator runs its scripts through it. */
  store: RedisStore;
  /** Whether the data connection is up (heartbeats are skipped, not failed, while it is not). */
  connected: () => boolean;
  /** The coordination hash (see `coordination-scripts.ts`). */
  key: string;
  /** The bus channel heartbeats are published on; `undefined` without a bus. */
  channel?: string;
  sharded: boolean;
  instanceId: string;
  leaseMs: number;
  heartbeatMs: number;
  writeWindowMs: number;
  commandTimeoutMs: number;
  /** The identity of the Redis beyond its own `run_id` (a Cluster's masters); `''` for one server. */
  identity: () => Promise<string>;
  /** Whether this instance serves L1 entries under a lease now (carried by its heartbeats, see the bus). */
  serving: () => boolean;
  /** A heartbeat is about to be sent: the bus grants the lease when it comes back through the subscription. */
  onHeartbeatSent: (id: string, sentAt: number, serving: boolean) => void;
  /** A heartbeat landed in Redis (it must come back through the subscription). */
  onHeartbeatLanded: (id: string, sentAt: number) => void;
  /** The keyspace epoch is known, or changed: nothing written in another epoch may be read. */
  onEpoch: (epoch: string, previous: string | undefined) => void;
  /** The cache is trusted again after a time it was not: L1 may hold what a silent member invalidated. */
  onTrustRegained: () => void;
  stats: CacheStatsCounter;
  logger?: CacheLogger;
  /**
   * An observer (a one-shot tool such as the migration copy) reads the record and the epoch but is no member:
   * it never makes its peers wait or distrust, never goes dark and never refuses a write — it promises no
   * acknowledgement to anyone; a write Redis did not take simply did not happen.
   */
  observer?: boolean;
  /** Monotonic clock in ms (injectable for tests). */
  now?: () => number;
}

/**
 * Keeps strict writes honest when Redis misbehaves: the membership of the instances sharing a key prefix,
 * the keyspace epoch, and the rule that decides when the cache may be trusted.
 *
 * - **Membership in Redis.** Every `heartbeatMs` an instance runs one script (`HEARTBEAT`) that records its
 *   heartbeat in Redis' clock in the coordination hash, publishes it on the bus (its L1 lease) and returns
 *   the whole record, so a new instance knows every member at once — including one that went silent before
 *   it started.
 * - **A silent member makes everyone distrust the cache.** A member not heard for a lease may be a writer that
 *   cannot reach Redis. While any member is silent, strict reads bypass L1 and L2 and fills are not cached,
 *   until it is heard again (it repairs first) or it is expired after its write window.
 * - **A writer that cannot confirm goes dark.** When a strict write's Redis write or announcement is not
 *   confirmed, the writer stops heartbeating and acknowledges only once every peer must have noticed its
 *   silence: its last heartbeat that may have landed (heartbeats carry a deadline past which the script does
 *   nothing) + a lease, converted to local time as late as the clock allows. It repairs before it heartbeats
 *   again (`RedisLink` recovery calls {@link rejoin}).
 * - **Write window.** Past `writeWindowMs` of silence a member is expired by its peers, which starts a new
 *   epoch (its unconfirmed writes become unreachable) and trusts the cache again; so a writer refuses strict
 *   writes ({@link admit}) before it could be expired.
 * - **A restarted Redis is a new Redis.** The script compares Redis' `run_id` (and a Cluster's masters) with
 *   the record's; a record made on another Redis, or a missing one, is replaced by a new random epoch.
 */
export class Coordinator {
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private beating = false;
  private seq = 0;
  private clock?: RedisClock;
  /** Whether the last heartbeat that Redis answered landed (see {@link deadlineClock}). */
  private lastBeatLanded = false;
  /**
   * Whether a heartbeat of this instance has ever landed, i.e. its peers can know it: until then `clock` is
   * only a `TIME` reply, which says nothing of when they last heard it.
   */
  private heard = false;
  private view?: MembershipView;
  private trustedUntil = 0;
  /** Deadlines (Redis' clock) of heartbeats whose outcome is unknown: each may have landed until then. */
  private readonly uncertain = new Set<number>();
  private dark = false;
  /** The latest time {@link goDark} promised a write's acknowledgement for: no heartbeat before it. */
  private darkUntil = 0;
  private identityText = '';
  private refreshingIdentity = false;
  private expiring = new Set<string>();
  /** The keyspace epoch, once a heartbeat has confirmed it. */
  epoch?: string;

  constructor(private readonly o: CoordinatorOptions) {
    this.now = o.now ?? (() => performance.now());
  }

  /** Starts the heartbeat timer. */
  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.o.heartbeatMs);
    this.timer.unref();
  }

  /** Stops heartbeating; with `leave`, first marks this instance as gone (only when it owes nobody a repair). */
  async stop(leave: boolean): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!leave || this.o.observer || this.dark || !this.o.connected() || this.clock === undefined) return;
    try {
      const bye = encodeBusMessage({ op: 'bye', from: this.o.instanceId });
      await this.o.store.leave(this.o.key, this.o.instanceId, this.o.channel ?? '', bye, this.o.sharded);
    } catch (error) {
      // Counted and logged by the guard; the peers expire this instance after its write window instead.
      this.o.logger?.debug?.(`cache coordination: goodbye not recorded (${(error as Error).name})`);
    }
  }

  /** Whether strict entries may be read from the cache now (no member silent, this instance not dark). */
  trusted(): boolean {
    return !this.dark && this.now() < this.trustedUntil;
  }

  /** Members heard within the lease at the last heartbeat, and members silent. */
  get members(): { live: number; silent: number } {
    if (!this.view || !this.clock) return { live: 0, silent: 0 };
    const verdict = judgeView(this.view, this.clock, this.o.instanceId, this.o.leaseMs, this.o.writeWindowMs);
    return { live: verdict.live.length, silent: verdict.silent.length + verdict.expirable.length };
  }

  /** The other members heard within the lease at the last heartbeat (what the record says, not the bus). */
  liveMembers(): readonly string[] {
    if (!this.view || !this.clock) return [];
    return judgeView(this.view, this.clock, this.o.instanceId, this.o.leaseMs, this.o.writeWindowMs).live;
  }

  /** Whether this instance has stopped heartbeating because a strict write could not be confirmed. */
  get isDark(): boolean {
    return this.dark;
  }

  /**
   * Throws {@link CacheWriteRefusedError} when a strict write cannot be made safe: this instance has never
   * been heard by its peers, or has not been heard for so long that they may expire it (and trust their
   * caches again) before the write's commit and acknowledgement are done.
   */
  admit(): void {
    if (this.o.observer) return;
    const clock = this.clock;
    if (!clock || !this.heard) this.refuse('cache not yet registered with its peers (no heartbeat of it has reached Redis since start)');
    if (this.now() >= clock.localEarliest(clock.redisAt + this.o.writeWindowMs - this.admissionMarginMs)) {
      this.refuse('cache cut off from Redis for longer than its write window');
    }
  }

  /**
   * How long a transaction admitted by {@link admit} may take to commit and reach its cache write: writes are
   * refused this long before the write window ends (the one assumption the guarantee makes of COMMIT).
   */
  get admissionMarginMs(): number {
    return Math.max(2 * this.o.leaseMs, this.o.writeWindowMs * 0.05);
  }

  private refuse(reason: string): never {
    this.o.stats.increment('writesRefused');
    throw new CacheWriteRefusedError(reason, Math.max(1, Math.ceil(this.o.leaseMs / 1000)));
  }

  /**
   * A strict write could not be confirmed: stop heartbeating (until {@link rejoin}) and return the local time
   * after which every peer has noticed this instance's silence — when the write may be acknowledged.
   * `undefined` when this instance was never heard (then no wait can make the write safe; see {@link admit}).
   */
  goDark(): number | undefined {
    if (this.o.observer) {
      this.o.stats.increment('busUnconfirmed');
      return this.now();
    }
    if (!this.dark) {
      this.dark = true;
      this.o.stats.increment('busUnconfirmed');
      this.o.logger?.warn('cache write could not be confirmed; this instance stops heartbeating until Redis is repaired, and acknowledges strict writes once its peers have stopped trusting their caches');
    }
    const clock = this.clock;
    if (!clock || !this.heard) return undefined;
    let latest = clock.redisAt;
    for (const deadline of this.uncertain) latest = Math.max(latest, deadline);
    const safeAt = clock.localLatest(latest + this.o.leaseMs) + 5;
    this.darkUntil = Math.max(this.darkUntil, safeAt);
    return safeAt;
  }

  /**
   * After an outage and its repair: learns Redis' clock, heartbeats (even while dark) and, once that landed,
   * resumes. Throws when it could not (the caller retries later).
   */
  async rejoin(): Promise<void> {
    // Not heard again before every peer has noticed the silence a dark write's acknowledgement counts on:
    // then each of them distrusted its cache, and drops L1 when it trusts it again — whatever of the
    // repair's re-announcement its bus missed.
    const wait = this.darkUntil - this.now();
    if (this.dark && wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
    this.identityText = await this.o.identity();
    if (!(await this.beat(true))) throw new Error('coordination heartbeat did not land');
    if (this.dark) this.o.logger?.log('cache redis repaired; this instance heartbeats again');
    this.dark = false;
  }

  /** Heartbeats on the next turn (e.g. just subscribed: the lease comes from the next heartbeat). */
  heartbeatSoon(): void {
    setImmediate(() => this.tick());
  }

  private tick(): void {
    if (this.dark || this.beating || !this.o.connected()) return;
    void this.beat(false);
  }

  /**
   * The clock a heartbeat's deadline is computed with. The last heartbeat's round trip while heartbeats land;
   * otherwise a fresh `TIME` round trip. A clock only ever errs towards an *earlier* Redis time (it counts
   * from the reply's receipt, minus 1 % of the time since), so an old one — after an outage, or taken from a
   * reply the event loop picked up late — makes every deadline already past when the script runs: the
   * heartbeat is dropped, no new clock comes from it, and the instance would stay silent for good (seen: an
   * instance whose loop stalled past the command timeout stayed untrusted for 30 s). `this.clock` (when this
   * instance was last heard) is only seeded here, never moved: only a heartbeat that landed moves it.
   */
  private async deadlineClock(bypassBreaker: boolean): Promise<RedisClock> {
    if (this.clock && this.lastBeatLanded && this.now() - this.clock.receivedAt <= this.o.leaseMs) return this.clock;
    const sentAt = this.now();
    const redisAt = await this.o.store.time({ bypassBreaker });
    const fresh = new RedisClock(redisAt, sentAt, this.now());
    this.clock ??= fresh;
    return fresh;
  }

  /** One heartbeat; `true` when it landed and its view was applied. Never rejects. */
  private async beat(force: boolean): Promise<boolean> {
    this.beating = true;
    let deadline: number | undefined;
    try {
      const clock = await this.deadlineClock(force);
      const sentAt = this.now();
      deadline = Math.floor(clock.redisEarliest(sentAt)) + this.o.commandTimeoutMs;
      this.uncertain.add(deadline);
      this.seq += 1;
      const id = `hb${this.seq}`;
      const serving = this.o.serving();
      const message = encodeBusMessage({ op: 'hb', from: this.o.instanceId, id, serving });
      this.o.onHeartbeatSent(id, sentAt, serving);
      const reply = await this.o.store.heartbeat(this.o.key, {
        channel: this.o.channel ?? '', instanceId: this.o.instanceId, message, deadline, identity: this.identityText,
        candidateEpoch: randomToken(), pruneAfterMs: 2 * this.o.writeWindowMs, sharded: this.o.sharded,
        observer: this.o.observer === true, known: this.o.observer ? [] : mergeList(this.view, this.o.instanceId),
      }, { bypassBreaker: force });
      const receivedAt = this.now();
      this.uncertain.delete(deadline);
      const view = parseHeartbeatReply(reply);
      this.lastBeatLanded = view !== undefined;
      if (!view) return false;
      this.o.onHeartbeatLanded(id, sentAt);
      this.apply(view, new RedisClock(view.now, sentAt, receivedAt));
      return true;
    } catch (error) {
      this.lastBeatLanded = false;
      // Counted and logged by the guard. Refused before it was sent, it cannot land; otherwise it may still
      // land until its deadline (kept in `uncertain`).
      if (deadline !== undefined && (error instanceof RedisUnavailableError || error instanceof CircuitOpenError)) this.uncertain.delete(deadline);
      this.o.logger?.debug?.(`cache coordination heartbeat failed (${(error as Error).name})`);
      return false;
    } finally {
      this.beating = false;
    }
  }

  private apply(view: MembershipView, clock: RedisClock): void {
    this.clock = clock;
    this.heard = true;
    if (!view.runIdKnown && this.view?.runIdKnown !== false) {
      this.o.logger?.warn('cache redis denies INFO to this user (ACL): a Redis restored from an older snapshot cannot be told apart from the one it replaced; allow +info for the strict guarantee to cover restores');
    }
    this.view = view;
    for (const deadline of this.uncertain) if (deadline <= view.now) this.uncertain.delete(deadline);
    if (view.epoch !== this.epoch) {
      const previous = this.epoch;
      this.epoch = view.epoch;
      // Another instance started this epoch: if it saw another Redis than ours (a Cluster's masters), ours
      // may be out of date — look again, so two instances never keep replacing each other's epoch.
      if (previous !== undefined && !view.rotated) this.refreshIdentity();
      if (previous !== undefined) this.o.logger?.warn('cache keyspace epoch changed (Redis restarted, failed over, lost its coordination record, or a silent member expired): nothing cached before is read again');
      else if (view.rotated) this.o.logger?.log('cache keyspace epoch started (a new Redis, or its coordination record was missing)');
      this.o.onEpoch(view.epoch, previous);
    }
    const verdict = judgeView(view, clock, this.o.instanceId, this.o.leaseMs, this.o.writeWindowMs);
    const now = this.now();
    if (verdict.trustedUntil > now && this.trustedUntil <= now) this.o.onTrustRegained();
    this.trustedUntil = verdict.trustedUntil;
    for (const id of verdict.expirable) void this.expire(id, view.epoch);
  }

  private refreshIdentity(): void {
    if (this.refreshingIdentity) return;
    this.refreshingIdentity = true;
    this.o.identity().then((identity) => { this.identityText = identity; }, (error: unknown) => {
      // Kept as it was; recovery computes it again.
      this.o.logger?.debug?.(`cache coordination: identity not refreshed (${(error as Error).message})`);
    }).finally(() => { this.refreshingIdentity = false; });
  }

  /** Expires a member silent past its write window (once, whoever gets there first) and adopts the new epoch. */
  private async expire(id: string, epoch: string): Promise<void> {
    if (this.expiring.has(id)) return;
    this.expiring.add(id);
    try {
      const [expired, current] = await this.o.store.expireMember(this.o.key, id, this.o.writeWindowMs, randomToken(), epoch);
      if (expired) this.o.logger?.warn(`cache member ${id.slice(0, 8)} silent past its write window: expired, new keyspace epoch`);
      if (typeof current === 'string' && current !== this.epoch) {
        const previous = this.epoch;
        this.epoch = current;
        this.o.onEpoch(current, previous);
      }
    } catch (error) {
      // Counted and logged by the guard; the next heartbeat tries again (the cache stays distrusted meanwhile).
      this.o.logger?.debug?.(`cache coordination: expiring a member failed (${(error as Error).name})`);
    } finally {
      this.expiring.delete(id);
    }
  }
}
