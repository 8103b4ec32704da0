import type { BusInvalidation, SingleInvalidation } from './bus-message.js';
import type { BroadcastOutcome } from './invalidation-bus.js';

/** Sends one (possibly coalesced) invalidation; `waitForAcks` under the strict policy. */
export type BroadcastFn = (message: BusInvalidation, waitForAcks: boolean) => Promise<BroadcastOutcome>;

interface Batch {
  parts: SingleInvalidation[];
  items: number;
  callers: Array<{ resolve: (outcome: BroadcastOutcome) => void; reject: (error: unknown) => void }>;
}

/** Above this many keys, tags and prefixes a batch leaves at once (bounds the message size). */
const DEFAULT_MAX_ITEMS = 1000;

/**
 * Coalesces the announcements issued in one turn of the event loop into one bus message and one ack wait.
 * Fifty concurrent `set`s cost one PUBLISH, one ack per peer and one wait, instead of fifty of each; a key
 * write and a tag invalidation started together (`Promise.all`) leave as one `many` message.
 *
 * The batch flushes on `process.nextTick`, once the callbacks and microtasks running now are done — so the
 * replies of one pipelined Redis round trip, which ioredis resolves in one go, land in one batch — and before
 * ioredis writes the commands issued in this turn (its auto-pipeline flushes on `setImmediate`): the PUBLISH
 * joins the pipeline of the writes announced ahead of their answers (`Coherence.announceAhead`), after them,
 * instead of waiting for that pipeline's replies (ioredis keeps one auto-pipeline in flight per connection).
 * Every caller resolves with the batch's outcome, which is
 * exactly its own guarantee: its invalidation was in the message the peers acked (or whose lease ran out).
 * Strict and eventual announcements are batched apart, so an eventual one never waits for acks.
 */
export class AnnouncementBatcher {
  private readonly pending = new Map<boolean, Batch>();

  constructor(private readonly broadcast: BroadcastFn, private readonly maxItems = DEFAULT_MAX_ITEMS) {}

  /** Queues `message` for this turn's broadcast; resolves with that broadcast's outcome. */
  announce(message: BusInvalidation, strict: boolean): Promise<BroadcastOutcome> {
    const parts = message.op === 'many' ? message.parts : [message];
    const items = parts.reduce((sum, part) => sum + sizeOf(part), 0);
    let batch = this.pending.get(strict);
    if (batch && batch.items + items > this.maxItems) {
      this.flush(strict);
      batch = undefined;
    }
    if (!batch) {
      const fresh: Batch = { parts: [], items: 0, callers: [] };
      this.pending.set(strict, fresh);
      // Unless it already left (full, or on close).
      process.nextTick(() => { if (this.pending.get(strict) === fresh) this.flush(strict); });
      batch = fresh;
    }
    batch.parts.push(...parts);
    batch.items += items;
    const queued = batch;
    return new Promise<BroadcastOutcome>((resolve, reject) => queued.callers.push({ resolve, reject }));
  }

  /** Sends whatever is queued now (used on close, so no caller is left waiting for a turn). */
  flushAll(): void {
    for (const strict of [...this.pending.keys()]) this.flush(strict);
  }

  private flush(strict: boolean): void {
    const batch = this.pending.get(strict);
    if (!batch) return;
    this.pending.delete(strict);
    this.broadcast(mergeInvalidations(batch.parts), strict).then(
      (outcome) => { for (const caller of batch.callers) caller.resolve(outcome); },
      (error: unknown) => { for (const caller of batch.callers) caller.reject(error); },
    );
  }
}

function sizeOf(part: SingleInvalidation): number {
  if (part.op === 'keys') return part.keys.length;
  if (part.op === 'tags') return part.tags.length;
  return 1;
}

/**
 * Merges invalidations into the smallest equivalent message: keys into one `keys`, tags into one `tags`,
 * prefixes deduplicated; a `clear` covers everything. One kind left → that message, else `many`.
 */
export function mergeInvalidations(parts: readonly SingleInvalidation[]): BusInvalidation {
  const keys = new Set<string>();
  const tags = new Set<string>();
  const prefixes = new Set<string>();
  for (const part of parts) {
    if (part.op === 'clear') return { op: 'clear' };
    if (part.op === 'keys') for (const key of part.keys) keys.add(key);
    else if (part.op === 'tags') for (const tag of part.tags) tags.add(tag);
    else prefixes.add(part.prefix);
  }
  const merged: SingleInvalidation[] = [];
  if (keys.size > 0) merged.push({ op: 'keys', keys: [...keys] });
  if (tags.size > 0) merged.push({ op: 'tags', tags: [...tags] });
  for (const prefix of prefixes) merged.push({ op: 'prefix', prefix });
  if (merged.length === 0) return { op: 'keys', keys: [] };
  return merged.length === 1 ? merged[0] : { op: 'many', parts: merged };
}
