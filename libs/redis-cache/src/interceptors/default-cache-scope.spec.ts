import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { defaultCacheScope } from './default-cache-scope.js';

const scopeOf = (user: unknown) => defaultCacheScope({ user, headers: {} });
const refusal = (user: unknown) => {
  try {
    scopeOf(user);
    return 'named';
  } catch (error) {
    return `${(error as { code?: string }).code}: ${(error as Error).message}`;
  }
};

/** A deep copy of JSON data with every object's keys put in the order `order` gives. */
function rebuilt(value: unknown, order: (keys: string[]) => string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => rebuilt(v, order));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(order(Object.keys(value)).map((k) => [k, rebuilt((value as Record<string, unknown>)[k], order)]));
}
/** The data as JSON with sorted keys: equal for equal data, whatever the key order. */
const normalised = (value: unknown): string => JSON.stringify(rebuilt(value, (keys) => keys.sort()));

describe('defaultCacheScope', () => {
  it('names a user by id, then sub: strings, finite numbers and bigints (Prisma ids)', () => {
    expect(scopeOf({ id: 7 })).toBe('user:id:7');
    expect(scopeOf({ id: 'ada' })).toBe('user:id:"ada"');
    expect(scopeOf({ id: 9007199254740993n })).toBe('user:id:9007199254740993n');
    expect(scopeOf({ id: 1n })).not.toBe(scopeOf({ id: 2n }));
    expect(scopeOf({ sub: 'auth0|42' })).toBe('user:sub:"auth0|42"');
    expect(scopeOf({ id: '', sub: 5n })).toBe('user:sub:5n'); // an empty id names nobody
  });

  it('names a user without id by its whole content when that is plain data, bigints included, key order aside', () => {
    expect(scopeOf({ tenant: 't1', roles: ['a'], quota: 10n })).toBe('user:json:{"quota":10n,"roles":["a"],"tenant":"t1"}');
    expect(scopeOf({ b: 1, a: { d: 2, c: 3 } })).toBe(scopeOf({ a: { c: 3, d: 2 }, b: 1 }));
    expect(scopeOf({ a: 1, skipped: undefined })).toBe(scopeOf({ a: 1 }));
    expect(scopeOf('alice')).toBe('user:json:"alice"');
  });

  it('two users get one scope exactly when their data is equal (property over arbitrary JSON users)', () => {
    const user = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 })
      .filter((u) => !('id' in u) && !('sub' in u));
    fc.assert(fc.property(user, user, (a, b) => {
      fc.pre(normalised(a).length < 2000 && normalised(b).length < 2000); // larger ones are refused (below)
      expect(scopeOf(a) === scopeOf(b)).toBe(normalised(a) === normalised(b));
    }), { numRuns: 500 });
    fc.assert(fc.property(user, (a) => {
      fc.pre(normalised(a).length < 2000);
      expect(scopeOf(rebuilt(a, (keys) => keys.reverse()))).toBe(scopeOf(a));
    }), { numRuns: 200 });
  });

  it.each([
    ['circular', (() => { const u: Record<string, unknown> = { name: 'x' }; u.self = u; return u; })(), 'it is circular'],
    ['with a symbol key', { name: 'x', [Symbol('role')]: 'admin' }, 'it has symbol keys'],
    ['holding a symbol', { name: 'x', role: Symbol('admin') }, 'it holds a symbol'],
    ['holding a function', { name: 'x', can: () => true }, 'it holds a function'],
    ['a class instance', new (class Principal { readonly #token = 't'; get token() { return this.#token; } })(), 'instance of Principal'],
    ['holding a Map', { name: 'x', claims: new Map([['a', 1]]) }, 'instance of Map'],
    ['with a getter that throws', { name: 'x', get email(): string { throw new Error('lazy relation not loaded'); } }, 'reading it threw Error'],
    ['with an id getter that throws', { get id(): number { throw new Error('detached'); } }, 'reading it threw Error'],
    ['too long', { blob: 'x'.repeat(5000) }, 'longer than 4096 characters'],
    ['holding too many values', { list: Array.from({ length: 600 }, (_, i) => i) }, 'more than 512 values'],
    ['holding Infinity', { score: Infinity }, 'not finite'],
    ['with a NaN id', { id: Number.NaN }, 'not finite'],
  ])('refuses a user %s with a CacheConfigError saying why (the interceptor then bypasses)', (_label, user, why) => {
    const message = refusal(user);
    expect(message).toMatch(/^E_CACHE_CONFIG: defaultCacheScope cannot tell whose request this is/);
    expect(message).toContain(why);
    expect(message).not.toContain('lazy relation'); // the thrown error's message stays out (it may hold data)
  });
});
