import { describe, expect, it } from '@jest/globals';
import { EnvelopeFormatError, encodeEnvelope } from '../envelope.js';
import { MemoryStore } from './memory-store.js';

const entry = (value: unknown, version = 1) => encodeEnvelope({ kind: 'V', version, storedAt: 1, expiresAt: Date.now() + 60_000, epoch: '', tags: [], value });

describe('MemoryStore: decoded entries', () => {
  it('decodes an entry once, shares it frozen, and counts the decoded copy in its byte bound', async () => {
    const store = new MemoryStore();
    store.writeSync({ key: 'k', raw: entry({ list: [1, 2] }), kind: 'V', version: 1, ttlMs: 60_000 });
    const undecoded = store.bytes;
    const first = store.getEnvelopeSync('k')!;
    expect(first.value).toEqual({ list: [1, 2] });
    expect(Object.isFrozen((first.value as { list: number[] }).list)).toBe(true);
    expect(store.getEnvelopeSync('k')).toBe(first);
    expect(store.bytes).toBe(undecoded + 2 * first.json!.length);
    // Kept with the TTL it was written with.
    expect((await store.inspect('k')).pttl).toBeGreaterThan(59_000);
  });

  it('a write replaces the decoded entry with the new one', () => {
    const store = new MemoryStore();
    store.writeSync({ key: 'k', raw: entry({ n: 1 }, 1), kind: 'V', version: 1, ttlMs: 60_000 });
    expect(store.getEnvelopeSync('k')!.value).toEqual({ n: 1 });
    store.writeSync({ key: 'k', raw: entry({ n: 2 }, 2), kind: 'V', version: 2, ttlMs: 60_000 });
    expect(store.getEnvelopeSync('k')!.value).toEqual({ n: 2 });
  });

  it('an entry too big to keep beside its decoded copy is decoded on every read, never dropped for it', () => {
    const raw = entry({ text: 'x'.repeat(400) });
    const store = new MemoryStore({ maxBytes: raw.length * 2 + 100 });
    store.writeSync({ key: 'k', raw, kind: 'V', version: 1, ttlMs: 60_000 });
    const first = store.getEnvelopeSync('k');
    expect(first?.value).toEqual({ text: 'x'.repeat(400) });
    expect(store.getEnvelopeSync('k')).not.toBe(first);
    expect(store.size).toBe(1);
  });

  it('text that is not an entry throws EnvelopeFormatError; a counter is not an entry', async () => {
    const store = new MemoryStore();
    await store.increment('counter', 1, 0);
    expect(() => store.getEnvelopeSync('counter')).toThrow(EnvelopeFormatError);
    expect(store.getEnvelopeSync('absent')).toBeUndefined();
  });
});
