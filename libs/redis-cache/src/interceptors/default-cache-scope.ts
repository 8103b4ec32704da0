import { CacheConfigError } from '../engine/cache.errors.js';
import type { CacheScope } from './http-cache-options.interface.js';

interface ScopedRequest {
  user?: unknown;
  headers?: Record<string, string | string[] | undefined>;
}

/** The longest canonical text of a user without an id that still names a scope (beyond it: not cached). */
const MAX_IDENTITY_CHARS = 4096;
/** The most values such a user may hold: bounds the work before the length is known. */
const MAX_IDENTITY_VALUES = 512;

/** Why a user cannot be named faithfully: the text of {@link CacheConfigError} when the scope is refused. */
class Unidentifiable extends Error {}

/** A usable `id`/`sub`: a non-empty string (JSON-quoted, so no two strings hash alike), a finite number, a bigint. */
function idPart(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'bigint') return `${value}n`;
  return undefined;
}

/**
 * A canonical text of plain JSON-like data (keys sorted, bigints kept), or an {@link Unidentifiable} naming
 * what is not plain data. JSON.stringify is not enough: it throws on a bigint or a cycle, and it drops
 * symbols, functions, private fields and the state of a Map or class instance — two different users could
 * then print alike and share each other's entries.
 */
function canonical(value: unknown, path: readonly object[], seen: { values: number }): string {
  seen.values += 1;
  if (seen.values > MAX_IDENTITY_VALUES) throw new Unidentifiable(`it holds more than ${MAX_IDENTITY_VALUES} values`);
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Unidentifiable('it holds a number that is not finite');
    return String(value);
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object') throw new Unidentifiable(`it holds a ${typeof value}`);
  if (path.includes(value)) throw new Unidentifiable('it is circular');
  const inner = [...path, value];
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'undefined' : canonical(item, inner, seen))).join(',')}]`;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== Object.prototype && proto !== null) {
    throw new Unidentifiable(`it holds an instance of ${(value.constructor as { name?: string } | undefined)?.name || 'a class'}`);
  }
  if (Object.getOwnPropertySymbols(value).length > 0) throw new Unidentifiable('it has symbol keys');
  const fields: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const field: unknown = (value as Record<string, unknown>)[key];
    if (field !== undefined) fields.push(`${JSON.stringify(key)}:${canonical(field, inner, seen)}`);
  }
  return `{${fields.join(',')}}`;
}

/** The stable identity of a `request.user`: its `id` or `sub` if usable, else its whole content if plain data. */
function userIdentity(user: unknown): string {
  try {
    if (typeof user === 'object' && user !== null) {
      const { id, sub } = user as { id?: unknown; sub?: unknown };
      const byId = idPart(id);
      if (byId !== undefined) return `id:${byId}`;
      const bySub = idPart(sub);
      if (bySub !== undefined) return `sub:${bySub}`;
    }
    const text = canonical(user, [], { values: 0 });
    if (text.length > MAX_IDENTITY_CHARS) throw new Unidentifiable(`it is longer than ${MAX_IDENTITY_CHARS} characters`);
    return `json:${text}`;
  } catch (error) {
    const why = error instanceof Unidentifiable ? error.message : `reading it threw ${(error as Error)?.name ?? typeof error}`;
    const refused = new CacheConfigError(
      `defaultCacheScope cannot tell whose request this is: request.user has no string, number or bigint id or sub, and ${why}. ` +
        'The response is not cached; give RedisCacheModule.forRoot({ http: { scope: (request) => … } }) to name the principal.',
    );
    throw Object.assign(refused, { cause: error });
  }
}

/**
 * The default {@link CacheScopeResolver}, built so that a request carrying credentials is never answered
 * from another principal's entry: the authenticated `request.user` (set by a Passport-style guard) wins —
 * by its `id` or `sub` (string, number or bigint), else by its whole content when that is plain JSON-like
 * data; otherwise the exact `Authorization` header is the principal (two tokens of one user get two
 * entries — safe, only less shared); a request with a `Cookie` but neither is not cached at all (a session
 * we cannot see); a request with no credentials shares the public entry. The interceptor hashes the scope
 * before it enters a key, so no token ever reaches Redis.
 *
 * A `request.user` it cannot name faithfully (no usable id or sub, and circular, holding symbols, functions
 * or class instances, over 4096 characters or 512 values, or with a property that throws when read) makes it throw a
 * {@link CacheConfigError}: `CacheInterceptor` then answers that request uncached (`X-Cache: BYPASS`) and
 * logs one warning per route — it never fails the request.
 */
export function defaultCacheScope(request: unknown): CacheScope {
  const req = (request ?? {}) as ScopedRequest;
  if (req.user !== undefined && req.user !== null) return `user:${userIdentity(req.user)}`;
  const authorization = req.headers?.authorization;
  if (authorization !== undefined && authorization !== '') return `authorization:${String(authorization)}`;
  if (req.headers?.cookie !== undefined) return false;
  return null;
}
