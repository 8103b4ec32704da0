import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { decodeEnvelope, encodeEnvelope, EnvelopeFormatError, isCompressed, mayReplace, peekVersion } from './envelope.js';

/** The header grammar as a regular expression: the reference the hand-written scanner must agree with. */
const REFERENCE = /^c2\|([VNT])\|(\d*)\|(\d+)\|(\d+)\|([A-Za-z0-9]*)\|([^|]*)\|/;

describe('envelope', () => {
  it('round-trips values, versions and tags', () => {
    const raw = encodeEnvelope({ kind: 'V', version: 7, storedAt: 1, expiresAt: 2, epoch: 'e9Z', tags: [['client:a,b=c', 'g3']], value: { a: [1] } });
    expect(raw.startsWith('c2|V|7|1|2|e9Z|')).toBe(true);
    expect(decodeEnvelope(raw)).toEqual({
      kind: 'V', version: 7, storedAt: 1, expiresAt: 2, epoch: 'e9Z', tags: [['client:a,b=c', 'g3']], value: { a: [1] }, json: '{"a":[1]}',
    });
  });

  it('gives the JSON text a value was parsed from, decompressed when stored compressed', () => {
    const value = { text: 'x'.repeat(500), n: [1, 2, 3] };
    const raw = encodeEnvelope({ kind: 'V', storedAt: 1, expiresAt: 2, epoch: '', tags: [], value }, { compressAboveBytes: 100 });
    expect(isCompressed(raw)).toBe(true);
    const decoded = decodeEnvelope(raw);
    expect(decoded.json).toBe(JSON.stringify(value));
    expect(decoded.value).toEqual(value);
  });

  it.each([
    '', 'x', 'c2|V||1|2|||{', 'c1|V||1|2||1', 'c2|X||1|2|||1', 'c2|T|1|1|2|||{}', 'c2|V||1|2||t=x-y|1', 'c2|V||1|2||t=|1',
    'c2|V||1|2|e-1||1', 'c2|V||1|2||%E0%A4%A=1|1',
  ])('rejects %p', (raw) => {
    expect(() => decodeEnvelope(raw)).toThrow(EnvelopeFormatError);
  });

  it('refuses to encode an epoch or a generation that is not a token', () => {
    expect(() => encodeEnvelope({ kind: 'N', storedAt: 1, expiresAt: 2, epoch: 'a|b', tags: [], value: undefined })).toThrow(TypeError);
    expect(() => encodeEnvelope({ kind: 'N', storedAt: 1, expiresAt: 2, epoch: '', tags: [['t', '1,2']], value: undefined })).toThrow(TypeError);
  });

  it('round-trips kinds without a body, and big numbers', () => {
    for (const kind of ['N', 'T'] as const) {
      const env = { kind, version: 2 ** 53 - 1, storedAt: 1_700_000_000_000, expiresAt: 0, epoch: 'E', tags: [], value: undefined };
      expect(decodeEnvelope(encodeEnvelope(env))).toEqual(env);
    }
    expect(decodeEnvelope('c2|N||1|2|||')).toMatchObject({ kind: 'N', version: undefined, storedAt: 1, expiresAt: 2, epoch: '' });
    expect(peekVersion('c2|V|12345678901234567890|1|2|x||1')?.version).toBe(Number('12345678901234567890'));
  });

  it('parses headers exactly like the reference grammar', () => {
    const piece = fc.constantFrom('c1|', 'c2|', 'V', 'N', 'T', 'X', '|', '||', '0', '17', '123456789012345678', '1|2|', 'a=1', 'eP0', '-', ',', '{}', '~z:', '');
    fc.assert(fc.property(fc.array(piece, { maxLength: 14 }), (parts) => {
      const raw = parts.join('');
      const match = REFERENCE.exec(raw);
      const peeked = peekVersion(raw);
      if (!match) {
        expect(peeked).toBeUndefined();
        expect(isCompressed(raw)).toBe(false);
        return;
      }
      expect(peeked).toEqual({ kind: match[1], version: match[2] === '' ? undefined : Number(match[2]), epoch: match[5] });
      expect(isCompressed(raw)).toBe(raw.startsWith('~z:', match[0].length));
    }), { numRuns: 5000 });
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (raw) => {
      expect(peekVersion(raw) === undefined).toBe(REFERENCE.exec(raw) === null);
    }), { numRuns: 2000 });
  });

  it('set-if-newer rule', () => {
    const held = encodeEnvelope({ kind: 'V', version: 5, storedAt: 1, expiresAt: 2, epoch: 'E1', tags: [], value: 1 });
    expect(mayReplace(undefined, 'V', 1, false)).toBe(true);
    expect(mayReplace(held, 'V', undefined, false)).toBe(true);
    expect(mayReplace(held, 'V', 5, false)).toBe(false);
    expect(mayReplace(held, 'V', 5, true)).toBe(true);
    expect(mayReplace(held, 'V', 6, false)).toBe(true);
    expect(mayReplace(held, 'T', 5, false)).toBe(true);
    expect(mayReplace(held, 'T', 4, false)).toBe(false);
    // Versions are compared whatever the epoch: an entry of another epoch is absent to readers, but no older
    // version may replace it (an instance that has not heard of a new epoch yet writes in the old one).
    const heldElsewhere = encodeEnvelope({ kind: 'V', version: 5, storedAt: 1, expiresAt: 2, epoch: 'E2', tags: [], value: 1 });
    expect(mayReplace(heldElsewhere, 'V', 4, false)).toBe(false);
    expect(mayReplace(heldElsewhere, 'V', 6, false)).toBe(true);
    // An unversioned fill ("not found") never replaces a tombstone; a fill of a newer version does.
    const tomb = encodeEnvelope({ kind: 'T', version: 5, storedAt: 1, expiresAt: 2, epoch: 'E1', tags: [], value: undefined });
    expect(mayReplace(tomb, 'N', undefined, true)).toBe(false);
    expect(mayReplace(tomb, 'V', 5, true)).toBe(false);
    expect(mayReplace(tomb, 'V', 6, true)).toBe(true);
  });
});
