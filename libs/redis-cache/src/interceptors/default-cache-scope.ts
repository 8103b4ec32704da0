import type { CacheScope } from './http-cache-options.interface.js';

interface ScopedRequest {
  user?: unknown;
  headers?: Record<string, string | string[] | undefined>;
}

/** The stable identity of a `request.user`: its `id` or `sub` if it has one, else the whole object. */
function userIdentity(user: unknown): string {
  if (typeof user === 'object' && user !== null) {
    const { id, sub } = user as { id?: unknown; sub?: unknown };
    if (typeof id === 'string' || typeof id === 'number') return `id:${id}`;
    if (typeof sub === 'string' || typeof sub === 'number') return `sub:${sub}`;
  }
  return `json:${JSON.stringify(user)}`;
}

/**
 * The default {@link CacheScopeResolver}, built so that a request carrying credentials is never answered
 * from another principal's entry: the authenticated `request.user` (set by a Passport-style guard) wins;
 * otherwise the exact `Authorization` header is the principal (two tokens of one user get two entries — safe,
 * only less shared); a request with a `Cookie` but neither is not cached at all (a session we cannot see);
 * a request with no credentials shares the public entry. The interceptor hashes the scope before it enters
 * a key, so no token ever reaches Redis.
 */
export function defaultCacheScope(request: unknown): CacheScope {
  const req = (request ?? {}) as ScopedRequest;
  if (req.user !== undefined && req.user !== null) return `user:${userIdentity(req.user)}`;
  const authorization = req.headers?.authorization;
  if (authorization !== undefined && authorization !== '') return `authorization:${String(authorization)}`;
  if (req.headers?.cookie !== undefined) return false;
  return null;
}
