import { createHash } from 'node:crypto';
import { buildKey } from '../engine/key-builder.js';
import type { CacheScope } from './http-cache-options.interface.js';

/** Namespace of every response entry: `deleteByPrefix('http:')` clears them all. */
export const HTTP_CACHE_NAMESPACE = 'http';

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch (error) {
    // A malformed escape from the client is kept verbatim: it then only ever matches itself.
    if (error instanceof URIError) return segment;
    throw error;
  }
}

/**
 * `/a//b/%7Euser/` → `/a/b/~user`: empty segments and a trailing slash dropped, escapes decoded and
 * re-encoded canonically, so spellings of one path share one entry. Case is kept (routes may be case-sensitive).
 */
export function normalisePath(path: string): string {
  const segments = path.split('/').filter((s) => s !== '').map((s) => encodeURIComponent(decodeSegment(s)));
  return `/${segments.join('/')}`;
}

/** The query string with parameters sorted by name, then value (`?b=2&a=1` and `?a=1&b=2` are one entry). */
export function sortedQuery(query: string): string {
  const entries = [...new URLSearchParams(query).entries()];
  entries.sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : av > bv ? 1 : 0) : ak < bk ? -1 : 1));
  return new URLSearchParams(entries).toString();
}

/** The scope as a key part: `public`, or a SHA-256 of the principal (credentials never enter a key). */
export function scopeKeyPart(scope: Exclude<CacheScope, false>): string {
  return scope === null ? 'public' : `p.${createHash('sha256').update(scope).digest('hex').slice(0, 32)}`;
}

/**
 * The logical key of a response: `http:<method>:<path?sorted-query>:<scope>`, or with `@CacheKey`,
 * `http:k:<custom>:<scope>` — the scope is always part of it. HEAD shares GET's entries (same
 * representation). Parts are encoded by the key builder; keys past its limit are hashed.
 */
export function httpCacheKey(input: { method: string; url: string; scope: Exclude<CacheScope, false>; customKey?: string }): string {
  const scope = scopeKeyPart(input.scope);
  if (input.customKey !== undefined) return buildKey(HTTP_CACHE_NAMESPACE, 'k', input.customKey, scope);
  const q = input.url.indexOf('?');
  const path = normalisePath(q === -1 ? input.url : input.url.slice(0, q));
  const query = q === -1 ? '' : sortedQuery(input.url.slice(q + 1));
  const method = input.method.toUpperCase() === 'HEAD' ? 'GET' : input.method.toUpperCase();
  return buildKey(HTTP_CACHE_NAMESPACE, method, query === '' ? path : `${path}?${query}`, scope);
}
