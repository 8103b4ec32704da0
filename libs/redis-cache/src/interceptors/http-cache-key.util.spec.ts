import { describe, expect, it } from '@jest/globals';
import { defaultCacheScope } from './default-cache-scope.js';
import { httpCacheKey, normalisePath, sortedQuery } from './http-cache-key.util.js';

describe('HTTP cache keys', () => {
  it('normalises paths and sorts queries', () => {
    expect(normalisePath('/a//b/%7Euser/')).toBe('/a/b/~user');
    expect(normalisePath('/a/%E0%A4%A')).toBe('/a/%25E0%25A4%25A');
    expect(sortedQuery('b=2&a=1&a=0')).toBe('a=0&a=1&b=2');
  });

  it('keeps the scope in every key, hashed, and shares HEAD with GET', () => {
    const alice = httpCacheKey({ method: 'GET', url: '/x?b=1&a=2', scope: 'authorization:Bearer secret' });
    expect(alice).not.toContain('secret');
    expect(httpCacheKey({ method: 'HEAD', url: '/x?a=2&b=1', scope: 'authorization:Bearer secret' })).toBe(alice);
    expect(httpCacheKey({ method: 'GET', url: '/x?b=1&a=2', scope: 'authorization:Bearer other' })).not.toBe(alice);
    expect(httpCacheKey({ method: 'GET', url: '/x', scope: null })).toMatch(/:public$/);
    const custom = httpCacheKey({ method: 'GET', url: '/x', scope: 'u', customKey: 'a*b:c' });
    expect(custom).not.toMatch(/[*?[\]]/);
    expect(custom).not.toBe(httpCacheKey({ method: 'GET', url: '/x', scope: 'v', customKey: 'a*b:c' }));
  });

  it('derives the default scope from the user, then the Authorization header; cookies alone bypass', () => {
    expect(defaultCacheScope({ user: { id: 7 }, headers: { authorization: 'x' } })).toBe('user:id:7');
    expect(defaultCacheScope({ headers: { authorization: 'Bearer t' } })).toBe('authorization:Bearer t');
    expect(defaultCacheScope({ headers: { cookie: 'sid=1' } })).toBe(false);
    expect(defaultCacheScope({ headers: {} })).toBeNull();
  });
});
