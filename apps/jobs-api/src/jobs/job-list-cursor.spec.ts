import { describe, expect, it } from '@jest/globals';
import { JobListCursor } from './job-list-cursor.js';

describe('JobListCursor', () => {
  it('round-trips ids', () => {
    for (const id of [1, 42, Number.MAX_SAFE_INTEGER]) expect(JobListCursor.decode(JobListCursor.encode(id))).toBe(id);
  });

  it.each(['', 'abc', '*', Buffer.from('j1.0').toString('base64url'), Buffer.from('j1.9007199254740992').toString('base64url'), 'a'.repeat(41)])(
    'refuses %j',
    (cursor) => {
      expect(() => JobListCursor.decode(cursor)).toThrow('cursor');
    },
  );
});
