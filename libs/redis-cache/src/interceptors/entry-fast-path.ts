import type { INestApplication } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import type { CacheEngine, CacheJsonResult } from '../engine/cache-engine.js';
import { entryEtag, ifNoneMatchMatches } from './etag.util.js';

/** What a fast-path route sees of a request: the raw method, URL (path and query) and headers. */
export interface FastPathRequest {
  readonly method?: string;
  readonly url?: string;
  readonly headers: IncomingHttpHeaders;
}

/**
 * One route answered from its cache entry before the framework's pipeline runs. Everything that is not a
 * fresh, permitted hit — no match, a key that does not build, a miss, a stale entry, `allow` saying no, a
 * method other than `GET` — goes on to the application untouched, which answers exactly as it would
 * without the fast path (`400`, `401`, `404`, a load…).
 */
export interface EntryFastPathRoute {
  /** Matched against the request path (the query string is not part of it); anchor it (`^…$`). */
  path: RegExp;
  /** The cache key of the entry for a match (as `CacheService.key` builds it), or `undefined` to pass. */
  entryKey: (match: RegExpExecArray) => string | undefined;
  /**
   * Whether this caller may be answered with `value`. **The app's guards do not run on a fast-path hit**:
   * this function must authenticate and authorise on its own, with the same code the guards use. Return
   * `false` whenever unsure; the request then takes the normal path.
   */
  allow: (request: FastPathRequest, value: unknown) => boolean;
  /** Headers the route's handler would add (e.g. `Cache-Control` from `@Header()`), lower-case names. */
  headers?: Readonly<Record<string, string>>;
}

/** Headers of every fast-path answer (the route's own come on top, see {@link EntryFastPathRoute.headers}). */
export interface FastPathHeaders {
  'x-cache': 'HIT';
  etag: string;
  age: string;
  'content-type'?: string;
}

/** An answer of the fast path. */
export interface FastPathAnswer {
  status: 200 | 304;
  headers: FastPathHeaders;
  /** The route's fixed headers (sent as well). */
  routeHeaders?: Readonly<Record<string, string>>;
  /** The entry's JSON text as stored (absent for a `304`). */
  body?: string;
}

/** Options of {@link installEntryFastPath}. */
export interface EntryFastPathOptions {
  /** The cache holding the entries (`app.get(CacheService)`). */
  cache: Pick<CacheEngine, 'peekEntryJson' | 'probeEntryJson' | 'recordHit'>;
  routes: readonly EntryFastPathRoute[];
}

/** A request matched to a route. */
export interface RoutedRequest {
  route: EntryFastPathRoute;
  match: RegExpExecArray;
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Answers fresh, permitted cache hits of the given routes in front of the framework: a hit costs an L1
 * lookup (or one L2 round trip), the route's `allow`, and writing the stored JSON text as it is — no guard,
 * interceptor, pipe or serialiser. The response is the one {@link CacheInterceptor} with `@CacheFromEntry`
 * gives for the same hit: `200` with `X-Cache: HIT`, `ETag`, `Age` and the route's headers, or `304` for a
 * matching `If-None-Match`.
 */
export class EntryFastPath {
  private served = 0;

  constructor(private readonly options: EntryFastPathOptions) {}

  /** Requests answered so far (hits and `304`s). */
  get answered(): number {
    return this.served;
  }

  /** Whether `request` is for one of the routes (a cheap synchronous test done before any lookup). */
  route(request: FastPathRequest): RoutedRequest | undefined {
    if (request.method !== 'GET' || request.url === undefined) return undefined;
    const q = request.url.indexOf('?');
    const path = q === -1 ? request.url : request.url.slice(0, q);
    for (const route of this.options.routes) {
      const match = route.path.exec(path);
      if (match) return { route, match };
    }
    return undefined;
  }

  /**
   * The answer for a routed request: at once from L1 (the hot path stays synchronous), as a promise when
   * L2 must be asked, `undefined` to let the application answer. A promise never rejects for Redis reasons.
   */
  answer(request: FastPathRequest, { route, match }: RoutedRequest): FastPathAnswer | undefined | Promise<FastPathAnswer | undefined> {
    const key = route.entryKey(match);
    if (key === undefined) return undefined;
    const local = this.options.cache.peekEntryJson(key);
    if (local !== undefined) return this.respond(request, route, key, local);
    return this.options.cache.probeEntryJson(key).then((entry) => entry && this.respond(request, route, key, entry));
  }

  private respond(request: FastPathRequest, route: EntryFastPathRoute, key: string, entry: CacheJsonResult<unknown>): FastPathAnswer | undefined {
    if (!route.allow(request, entry.value)) return undefined;
    const etag = entryEtag(key, entry.version, entry.value);
    // A literal of fixed shape: spreading the route's headers into it costs more than the whole lookup.
    const headers: FastPathHeaders = { 'x-cache': 'HIT', etag, age: String(Math.max(0, Math.floor((Date.now() - entry.storedAt) / 1000))) };
    // Counted only now: a request handed on is counted once, by the app's own read.
    this.options.cache.recordHit(key, entry.source);
    this.served += 1;
    if (ifNoneMatchMatches(request.headers['if-none-match'], etag)) return { status: 304, headers, routeHeaders: route.headers };
    headers['content-type'] = JSON_CONTENT_TYPE;
    return { status: 200, headers, routeHeaders: route.headers, body: entry.json };
  }
}

interface FastifyLike {
  addHook(name: 'onRequest', hook: (request: { raw: FastPathRequest }, reply: FastifyReplyLike, done: (error?: Error) => void) => void): unknown;
}
interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  headers(values: object): FastifyReplyLike;
  send(body?: string): FastifyReplyLike;
}
interface NodeResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

/**
 * Installs an {@link EntryFastPath} in front of a Nest application, on Fastify (an `onRequest` hook) or
 * Express (the first middleware). Call it before `app.listen()` / `app.init()`. Requests that are not
 * answered continue through the app as if nothing were installed; a failing lookup counts as not answered.
 *
 * @example
 * installEntryFastPath(app, { cache: app.get(CacheService), routes: [{ path: /^\/reports\/(\d+)$/,
 *   entryKey: ([, id]) => cache.key('report', id), allow: (req, report) => canRead(req.headers, report) }] });
 */
export function installEntryFastPath(app: INestApplication, options: EntryFastPathOptions): EntryFastPath {
  const fastPath = new EntryFastPath(options);
  const adapter = app.getHttpAdapter();
  if (adapter.getType() === 'fastify') {
    const send = (reply: FastifyReplyLike, answer: FastPathAnswer): void => {
      reply.code(answer.status);
      if (answer.routeHeaders) reply.headers(answer.routeHeaders);
      reply.headers(answer.headers).send(answer.body);
    };
    (adapter.getInstance() as FastifyLike).addHook('onRequest', (request, reply, done) => {
      serve(fastPath, request.raw, (answer) => send(reply, answer), () => done());
    });
    return fastPath;
  }
  const write = (response: NodeResponseLike, answer: FastPathAnswer): void => {
    response.statusCode = answer.status;
    for (const [name, value] of Object.entries(answer.routeHeaders ?? {})) response.setHeader(name, value);
    for (const [name, value] of Object.entries(answer.headers)) response.setHeader(name, value as string);
    response.end(answer.body);
  };
  app.use((request: FastPathRequest, response: NodeResponseLike, next: () => void) => {
    serve(fastPath, request, (answer) => write(response, answer), next);
  });
  return fastPath;
}

/** Answers `request` through `respond` (at once for an L1 hit), or hands it on with `pass`. */
function serve(fastPath: EntryFastPath, request: FastPathRequest, respond: (answer: FastPathAnswer) => void, pass: () => void): void {
  const answer = answerOf(fastPath, request);
  if (answer === undefined) pass();
  else if (!(answer instanceof Promise)) respond(answer);
  else {
    answer.then((later) => (later ? respond(later) : pass()), (error: unknown) => {
      void error; // an `allow` that threw: the app's own path runs and answers (or reports) it
      pass();
    });
  }
}

/** The fast path's answer for `request`, `undefined` for "not ours" — also when the route's code threw. */
function answerOf(fastPath: EntryFastPath, request: FastPathRequest): ReturnType<EntryFastPath['answer']> {
  const routed = fastPath.route(request);
  if (!routed) return undefined;
  try {
    return fastPath.answer(request, routed);
  } catch (error) {
    void error; // an `allow` or `entryKey` that threw: the app's own path runs and answers (or reports) it
    return undefined;
  }
}
