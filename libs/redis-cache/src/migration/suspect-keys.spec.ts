import { describe, expect, it } from '@jest/globals';
import { SuspectKeys } from './suspect-keys.js';

describe('SuspectKeys', () => {
  it('forgets the oldest past its bound and counts it', () => {
    const keys = new SuspectKeys(2);
    keys.add('a');
    keys.add('b');
    keys.add('a'); // refreshed: now the newest
    keys.add('c');
    expect([keys.has('a'), keys.has('b'), keys.has('c')]).toEqual([true, false, true]);
    expect(keys.overflowed).toBe(1);
    keys.clear('a');
    expect(keys.size).toBe(1);
  });
});
