import type { RedisClock } from './redis-clock.js';

/** One member of the coordination record, as a heartbeat's reply showed it. */
export interface MemberRecord {
  /** Its last heartbeat in Redis' clock (epoch ms); absent once it left or was expired. */
  seen?: number;
  state: 'member' | 'left' | 'expired';
}

/** What one heartbeat's reply says about the group (see `coordination-scripts.ts#HEARTBEAT`). */
export interface MembershipView {
  /** Redis' clock when the heartbeat ran. */
  now: number;
  epoch: string;
  /** The record was missing or belonged to another Redis: a new epoch started with this heartbeat. */
  rotated: boolean;
  /** Whether the script could read Redis' `run_id` (an ACL may deny `INFO`). */
  runIdKnown: boolean;
  members: ReadonlyMap<string, MemberRecord>;
}

/** Decodes the HEARTBEAT script's reply; `undefined` when it ran too late (nothing was done). */
export function parseHeartbeatReply(reply: unknown): MembershipView | undefined {
  if (!Array.isArray(reply) || reply.length < 4 || Number(reply[0]) === 0) return undefined;
  const [now, epoch, rotated, fields, known] = reply as [number, string, number, string[], number | undefined];
  const members = new Map<string, MemberRecord>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (!fields[i].startsWith('m:')) continue;
    const value = fields[i + 1];
    const id = fields[i].slice(2);
    if (value.startsWith('l')) members.set(id, { state: 'left' });
    else if (value.startsWith('x')) members.set(id, { state: 'expired' });
    else members.set(id, { seen: Number(value), state: 'member' });
  }
  return { now: Number(now), epoch: String(epoch), rotated: Number(rotated) === 1, members, runIdKnown: Number(known) === 1 };
}

/** How a view looks from one instance. */
export interface ViewVerdict {
  /**
   * Local time (`performance.now()`) until which the cache may be trusted on the strength of this view;
   * 0 when a member is silent (its writes may not have reached Redis, so nobody trusts the cache).
   */
  trustedUntil: number;
  /** Members heard within the lease. */
  live: string[];
  /** Members silent for longer than the lease but not yet past their write window. */
  silent: string[];
  /** Members silent past their write window: to be expired (which starts a new epoch). */
  expirable: string[];
}

/**
 * Judges a view. A member heard at `seen` may hold acknowledged writes that never reached Redis only once it
 * has been silent for a lease (that is how long such a writer waits before acknowledging, see
 * `coordinator.ts`), so trusting the cache on its account is safe until `seen + lease` — converted to local
 * time as early as the clock allows. A member silent longer than that makes this instance distrust the cache
 * until it is heard again or expired.
 */
export function judgeView(view: MembershipView, clock: RedisClock, self: string, leaseMs: number, writeWindowMs: number): ViewVerdict {
  const live: string[] = [];
  const silent: string[] = [];
  const expirable: string[] = [];
  let until = clock.localEarliest(view.now + leaseMs);
  for (const [id, record] of view.members) {
    if (id === self || record.seen === undefined) continue;
    const age = view.now - record.seen;
    if (age <= leaseMs) {
      live.push(id);
      until = Math.min(until, clock.localEarliest(record.seen + leaseMs));
    } else if (age <= writeWindowMs) {
      silent.push(id);
    } else {
      expirable.push(id);
    }
  }
  const trustedUntil = silent.length > 0 || expirable.length > 0 ? 0 : until;
  return { trustedUntil, live, silent, expirable };
}

/** The members to re-add if the record was lost: every member this view knows to be in it, self excluded. */
export function mergeList(view: MembershipView | undefined, self: string, max = 64): Array<[string, number]> {
  if (!view) return [];
  const out: Array<[string, number]> = [];
  for (const [id, record] of view.members) {
    if (id !== self && record.seen !== undefined && out.length < max) out.push([id, record.seen]);
  }
  return out;
}
