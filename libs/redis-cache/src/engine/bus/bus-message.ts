/**
 * Messages on the invalidation bus, as compact JSON. One broadcast channel per key prefix carries
 * invalidations and heartbeats; each instance also listens on its own reply channel for acks.
 *
 * - `keys` / `prefix` / `tags` / `clear`: drop the matching L1 entries (physical keys and prefixes).
 * - `many`: several of those at once (invalidations announced in the same tick, coalesced into one message
 *   and one ack); sent only when they do not merge into one of the above.
 * - `hb`: a heartbeat (published by the coordination script, see `coordinator.ts`); the sender renews its L1
 *   lease when it receives its own, others learn it is alive. `serving: false` says the sender holds no L1
 *   lease and will not hold one from any heartbeat sent before a later `serving: true` one, so a writer need
 *   not wait for its ack.
 * - `bye`: the sender is leaving; nobody waits for its acks any more.
 * - `ack` (on the reply channel only): the sender has applied invalidation `id`.
 */
export type SingleInvalidation =
  | { op: 'keys'; keys: string[] }
  | { op: 'prefix'; prefix: string }
  | { op: 'tags'; tags: string[] }
  | { op: 'clear' };

/** What one broadcast invalidates: one kind, or several coalesced (`many`, never nested). */
export type BusInvalidation = SingleInvalidation | { op: 'many'; parts: SingleInvalidation[] };

/** A decoded bus message. `id` is unique per sender; `ack` asks receivers to confirm on the reply channel. */
export type BusMessage =
  | (BusInvalidation & { from: string; id: string; ack: boolean })
  | { op: 'hb'; from: string; id: string; serving?: boolean }
  | { op: 'bye'; from: string }
  | { op: 'ack'; from: string; id: string };

const OPS = new Set(['keys', 'prefix', 'tags', 'clear', 'many', 'hb', 'bye', 'ack']);

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/** Encodes a message. */
export function encodeBusMessage(message: BusMessage): string {
  return JSON.stringify(message);
}

/**
 * Decodes a message, or `undefined` for anything malformed (another program publishing on the channel
 * must not crash or confuse an instance: a malformed message is ignored and counted by the caller).
 */
export function decodeBusMessage(raw: string): BusMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // Malformed: the receiver counts and logs it; the content is never logged (it may carry others' keys).
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const m = parsed as Record<string, unknown>;
  if (typeof m.op !== 'string' || !OPS.has(m.op) || typeof m.from !== 'string') return undefined;
  if (m.op !== 'bye' && typeof m.id !== 'string') return undefined;
  const meta = { from: m.from, id: m.id as string, ack: m.ack === true };
  if (m.op === 'many') {
    if (!Array.isArray(m.parts) || m.parts.length === 0) return undefined;
    const parts: SingleInvalidation[] = [];
    for (const part of m.parts as unknown[]) {
      const single = decodeSingle(part);
      if (!single) return undefined;
      parts.push(single);
    }
    return { op: 'many', parts, ...meta };
  }
  if (m.op === 'bye') return { op: 'bye', from: m.from };
  if (m.op === 'hb') return { op: 'hb', from: m.from, id: meta.id, serving: m.serving !== false };
  if (m.op === 'ack') return { op: 'ack', from: m.from, id: meta.id };
  const single = decodeSingle(m);
  return single ? { ...single, ...meta } : undefined;
}

/** One invalidation part (of a message, or of a `many`), or `undefined` if malformed. */
function decodeSingle(value: unknown): SingleInvalidation | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  switch (m.op) {
    case 'keys':
      return isStringArray(m.keys) ? { op: 'keys', keys: m.keys } : undefined;
    case 'prefix':
      return typeof m.prefix === 'string' ? { op: 'prefix', prefix: m.prefix } : undefined;
    case 'tags':
      return isStringArray(m.tags) ? { op: 'tags', tags: m.tags } : undefined;
    case 'clear':
      return { op: 'clear' };
    default:
      return undefined;
  }
}
