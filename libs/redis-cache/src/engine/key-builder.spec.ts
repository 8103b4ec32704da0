import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { buildKey, encodeKeyPart, escapeGlob, MAX_KEY_LENGTH, physicalKey } from './key-builder.js';

describe('key builder', () => {
  it('joins namespace and encoded parts', () => {
    expect(buildKey('job', 42)).toBe('job:42');
    expect(buildKey('list', 'a*b', 'x:y')).toBe('list:a%2Ab:x%3Ay');
    expect(buildKey('ns', '')).toBe('ns:%');
  });

  it('encoded parts never contain glob metacharacters, separators or whitespace', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (part) => {
      expect(encodeKeyPart(part)).toMatch(/^[A-Za-z0-9_.%-]+$/);
    }));
  });

  it('is injective over part lists', () => {
    fc.assert(fc.property(fc.array(fc.string()), fc.array(fc.string()), (a, b) => {
      fc.pre(JSON.stringify(a) !== JSON.stringify(b));
      expect(buildKey('ns', ...a)).not.toBe(buildKey('ns', ...b));
    }));
  });

  it('rejects namespaces that would need encoding', () => {
    expect(() => buildKey('a*b')).toThrow(TypeError);
    expect(() => buildKey('')).toThrow(TypeError);
  });

  it('escapes glob characters', () => {
    expect(escapeGlob('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f');
  });

  it('hashes long keys but keeps the namespace', () => {
    const long = buildKey('job', 'x'.repeat(MAX_KEY_LENGTH));
    const key = physicalKey('p:', long);
    expect(key).toMatch(/^p:job:#[0-9a-f]{64}$/);
    expect(physicalKey('p:', 'job:1')).toBe('p:job:1');
  });
});
