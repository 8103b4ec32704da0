import type { IncomingHttpHeaders } from 'node:http';
import type { CacheKeyParts } from '../nest/namespaced-cache.js';

/**
 * What a fast-path route sees of a request: the framework's request object (Fastify's), after routing —
 * the route's params are parsed — and after every guard's fast check, so whatever those checks put on it
 * (e.g. the caller's principal) is there too.
 */
export interface FastPathRequest {
  readonly params: Readonly<Record<string, string | undefined>>;
  readonly query: unknown;
  readonly headers: IncomingHttpHeaders;
}

/** Options of `@CacheFastPath`: which entry the route answers from, and who may see it. */
export interface CacheFastPathOptions<R extends FastPathRequest = FastPathRequest, V = unknown> {
  /** The namespace of the entry the handler answers from (e.g. the `CachedRepository`'s `namespace`). */
  namespace: string;
  /**
   * The key parts of that entry under `namespace`, from the request (e.g. `(request) => request.params.id`);
   * `undefined` hands the request on. Any value is safe: parts are encoded, and a part the handler would
   * refuse (`400`) names an entry that is never filled, so it is handed on and refused there.
   */
  key: (request: R) => CacheKeyParts | undefined;
  /**
   * Whether this caller may be answered with the entry's value (the handler's own authorisation, e.g. an
   * ownership check, with the same function the handler uses); `false` hands the request on. Default: yes.
   */
  visible?: (request: R, value: V) => boolean;
}

/**
 * Nest's Fastify adapter passes a handler's `__fastify_route_config__` metadata to Fastify as the route's
 * `config`; `@CacheFastPath` adds its mark there, under this name, so Fastify's `onRoute` hook finds it.
 */
export const FASTIFY_ROUTE_CONFIG_METADATA = '__fastify_route_config__';
export const FAST_PATH_ROUTE_CONFIG = 'redisCacheFastPath';

/** A route handler, as Nest keeps it. */
export type RouteHandler = (...args: never[]) => unknown;

/** What `@CacheFastPath` records on the handler: the options and the handler itself. */
export interface FastPathMark {
  readonly options: CacheFastPathOptions<never, never>;
  readonly method: string;
  /** The decorated method itself (how the library finds the controller instance Nest registered). */
  readonly callback: RouteHandler;
}

/** Counters of the fast path since start. */
export interface FastPathStats {
  /** `METHOD url (Controller.method)` of every route with a fast path. */
  routes: string[];
  /** Requests answered from the cache before Nest's pipeline (`200` and `304`). */
  answered: number;
  /** Requests handed on to the pipeline: a guard's fast check said no, a miss, not visible, not `GET`. */
  handedOn: number;
  /** Fast checks (or `key`/`visible`) that threw: logged, counted, and handed on. */
  checkErrors: number;
}
