import { describe, expect, it } from '@jest/globals';
import { entryEtag, ifNoneMatchMatches } from './etag.util.js';

describe('entryEtag', () => {
  it('changes with the version and the key, and is stable for one entry', () => {
    const etag = entryEtag('job:7', 3, { a: 1 });
    expect(entryEtag('job:7', 3, { other: true })).toBe(etag);
    expect(entryEtag('job:7', 4, { a: 1 })).not.toBe(etag);
    expect(entryEtag('job:8', 3, { a: 1 })).not.toBe(etag);
    expect(etag).toMatch(/^"v3-[A-Za-z0-9_-]+"$/);
  });

  it('hashes the body of an unversioned entry', () => {
    expect(entryEtag('k', undefined, { a: 1 })).toBe(entryEtag('other', undefined, { a: 1 }));
    expect(entryEtag('k', undefined, { a: 2 })).not.toBe(entryEtag('k', undefined, { a: 1 }));
  });
});

describe('ifNoneMatchMatches', () => {
  const etag = entryEtag('job:7', 3, null);
  it.each([
    [etag, true],
    [`W/${etag}`, true],
    [`"x", ${etag}`, true],
    ['*', true],
    [['"x"', etag], true],
    ['"v2-nope"', false],
    ['', false],
    [undefined, false],
  ])('If-None-Match %j → %s', (header, expected) => {
    expect(ifNoneMatchMatches(header, etag)).toBe(expected);
  });
});
