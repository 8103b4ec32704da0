/** How a broadcast that asked for acks ended: by acks (`confirmed`) or by waiting out a silent peer's lease. */
export type AckOutcome = 'confirmed' | 'lease-expired';

/** What the sender knows when its PUBLISH was answered (see {@link AckWaiter.settle}). */
export interface AckWaitContext {
  /** PUBLISH's reply: how many subscribers Redis delivered to (the sender's own subscription included). */
  receivers: number;
  /** Other instances by the sender-clock time their last message arrived (read live, never mutated here). */
  members: ReadonlyMap<string, number>;
  /**
   * How long after its last message a peer may still hold an L1 lease, in the sender's clock: the lease plus
   * a margin for timer granularity and clock-rate differences. Also the age the sender's own subscription
   * must reach before silence counts as proof.
   */
  windowMs: number;
  /** Give up waiting after this long: by then every instance that did not ack has lost its lease. */
  maxWaitMs: number;
  /** Before this (sender clock) acks alone do not confirm (see `InvalidationBus#countedFrom`). */
  countedFrom: number;
  now: () => number;
}

/**
 * Collects acks for one broadcast `M` and decides when every instance that could still serve an L1 entry
 * `M` removed has dropped it. Done by whichever of these holds first:
 *
 * 1. **Counted.** As many acks as Redis reported receivers, *and* an ack from every peer heard within the
 *    window when PUBLISH was answered (a peer whose subscription just dropped is not counted by Redis but
 *    keeps its lease until it runs out) — from `countedFrom` on, when the sender's young subscription may not
 *    have heard every such peer yet.
 * 2. **Heard.** The sender received `M` back on a subscription that has been up for at least the window,
 *    and every peer heard within the window *as of that receipt* has acked or has since gone silent for the
 *    window. Why silence is proof: a peer's lease comes only from its own heartbeat `h`, sent at `s`, and
 *    lasts until `s + lease`. If `h` reached Redis before the sender subscribed, the lease ended by
 *    subscription + lease ≤ now. Otherwise Redis delivered `h` to the sender before `M` (one connection, in
 *    order), at some `r ≥ s`, so the lease ends by `r + lease`: a peer not heard for the window holds no
 *    lease from before `M`. A lease from a heartbeat after `M` means the peer received `M` first (or it
 *    resubscribed, which drops its L1). This is what stops a peer whose socket Redis still counts — black-
 *    holed, its process gone without a FIN — from costing every write a full lease for minutes.
 * 3. **Time.** `maxWaitMs` passed (see {@link AckWaitContext.maxWaitMs}).
 */
export class AckWaiter {
  private readonly acks = new Set<string>();
  private context?: AckWaitContext;
  private countedRequired: ReadonlySet<string> = new Set();
  private heardRequired?: Map<string, number>;
  private selfSubscribedAt?: number;
  private finish?: (outcome: AckOutcome) => void;
  private recheck?: NodeJS.Timeout;

  /** Records an ack from peer `instance`. */
  ack(instance: string): void {
    this.acks.add(instance);
    this.check(false);
  }

  /**
   * The sender received its own broadcast back, on a subscription that started at `subscribedAt` (sender
   * clock). Snapshots the peers heard so far: by in-order delivery, these include every peer whose heartbeat
   * reached Redis before the broadcast did.
   */
  selfReceived(self: string, subscribedAt: number, members: ReadonlyMap<string, number>): void {
    this.acks.add(self);
    this.selfSubscribedAt = subscribedAt;
    this.heardRequired = new Map(members);
    this.check(false);
  }

  /** An instance said goodbye: it serves nothing any more, stop waiting for it. */
  forget(instance: string): void {
    // Redis counted it as a receiver only if it was subscribed, which a member heard within the window was.
    if (this.context && !this.acks.has(instance) && this.countedRequired.has(instance)) {
      this.context = { ...this.context, receivers: Math.max(0, this.context.receivers - 1) };
    }
    this.countedRequired = new Set([...this.countedRequired].filter((id) => id !== instance));
    this.heardRequired?.delete(instance);
    this.check(false);
  }

  /**
   * A peer said (in a heartbeat) that it serves no L1 entry: stop requiring its ack. Unlike {@link forget}
   * the receiver count stays — Redis may or may not count its subscription — so if it does, the counted
   * rule cannot complete without it and the heard rule decides.
   */
  exempt(instance: string): void {
    this.countedRequired = new Set([...this.countedRequired].filter((id) => id !== instance));
    this.heardRequired?.delete(instance);
    this.check(false);
  }

  /** Resolves when done (see the class comment). */
  settle(context: AckWaitContext): Promise<AckOutcome> {
    this.context = context;
    const now = context.now();
    this.countedRequired = new Set([...context.members].filter(([, seen]) => now - seen <= context.windowMs).map(([id]) => id));
    return new Promise<AckOutcome>((resolve) => {
      const deadline = setTimeout(() => this.done('lease-expired'), context.maxWaitMs);
      this.finish = (outcome) => {
        clearTimeout(deadline);
        clearTimeout(this.recheck);
        resolve(outcome);
      };
      this.check(false);
    });
  }

  private done(outcome: AckOutcome): void {
    const finish = this.finish;
    this.finish = undefined;
    finish?.(outcome);
  }

  private check(byTimer: boolean): void {
    const context = this.context;
    if (!this.finish || !context) return;
    const now = context.now();
    // Woken by the timer = a peer stayed silent until its lease was over (or the subscription was young).
    const outcome = byTimer ? 'lease-expired' : 'confirmed';
    let wakeAt = Number.POSITIVE_INFINITY;
    if (this.acks.size >= context.receivers && [...this.countedRequired].every((id) => this.acks.has(id))) {
      if (now >= context.countedFrom) {
        this.done(outcome);
        return;
      }
      wakeAt = context.countedFrom;
    }
    if (this.heardRequired !== undefined && this.selfSubscribedAt !== undefined) {
      // The heard rule: wake up again when the subscription is old enough or the next silent peer lapses.
      let heardAt = this.selfSubscribedAt + context.windowMs;
      for (const [id, seen] of this.heardRequired) {
        if (!this.acks.has(id)) heardAt = Math.max(heardAt, seen + context.windowMs);
      }
      if (heardAt <= now) {
        this.done(outcome);
        return;
      }
      wakeAt = Math.min(wakeAt, heardAt);
    }
    clearTimeout(this.recheck);
    if (Number.isFinite(wakeAt)) this.recheck = setTimeout(() => this.check(true), Math.ceil(wakeAt - now));
  }
}
