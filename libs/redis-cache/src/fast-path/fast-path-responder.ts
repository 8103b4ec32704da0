import type { CacheEngine } from '../engine/cache-engine.js';
import { entryEtag, ifNoneMatchMatches } from '../interceptors/etag.util.js';
import type { CacheKeyParts } from '../nest/namespaced-cache.js';
import { ExecutionContextHost } from '@nestjs/core/internal';
import { type FastPathGuard, markAdmitted } from './fast-path-guard.js';
import type { FastPathRoute } from './fast-path-route.js';
import type { FastPathRequest } from './fast-path.types.js';

/** The parts of Fastify's request and reply the responder uses. */
export interface FastifyRequestLike extends FastPathRequest {
  readonly raw: { readonly method?: string };
}
export interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(body?: string): FastifyReplyLike;
}

/** What the responder reports to its router (counters, and the one place errors are logged). */
export interface FastPathEvents {
  answered(): void;
  handedOn(): void;
  checkFailed(route: FastPathRoute, error: unknown): void;
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * The fast path of one route, run as its Fastify `onRequest` hook: every guard's fast check (with an
 * `ExecutionContext` for this handler, as Nest builds it), then the entry in L1, then `visible`. A fresh,
 * permitted hit is answered at once — synchronously, from the entry's stored JSON, with the interceptor's
 * headers for a hit and the handler's `@Header()`s — and counted once (`recordHit`). Anything else, or a
 * check that throws, hands the request on to Nest untouched and counts nothing in the cache: the pipeline's
 * own read is the one counted.
 */
export class FastPathResponder {
  constructor(
    private readonly route: FastPathRoute,
    private readonly engine: Pick<CacheEngine, 'key' | 'peekEntryJson' | 'recordHit'>,
    private readonly events: FastPathEvents,
  ) {}

  /** Fastify's `onRequest` hook signature: answer with `reply`, or call `done` to hand on. */
  handle(request: FastifyRequestLike, reply: FastifyReplyLike, done: () => void): void {
    let admitted: FastPathGuard[] | undefined;
    try {
      if (request.raw.method === 'GET') {
        const context = new ExecutionContextHost([request, reply, undefined], this.route.controller, this.route.callback);
        context.setType('http');
        let open = true;
        for (const guard of this.route.guards) {
          if (!guard.canActivateFastPath(context)) {
            open = false;
            break;
          }
          (admitted ??= []).push(guard);
        }
        if (open && this.answer(request, reply)) {
          this.events.answered();
          return;
        }
      }
    } catch (error) {
      this.events.checkFailed(this.route, error);
    }
    if (admitted) markAdmitted(request, admitted);
    this.events.handedOn();
    done();
  }

  /** Sends the answer of a fresh, visible L1 hit; `false` when there is none. */
  private answer(request: FastifyRequestLike, reply: FastifyReplyLike): boolean {
    const { options } = this.route;
    const parts: CacheKeyParts | undefined = options.key(request);
    if (parts === undefined) return false;
    const key = this.engine.key(options.namespace, ...(typeof parts === 'object' ? parts : [parts]));
    const entry = this.engine.peekEntryJson(key);
    if (entry === undefined || (options.visible !== undefined && !options.visible(request, entry.value))) return false;
    this.engine.recordHit(key, entry.source);
    const etag = entryEtag(key, entry.version, entry.value);
    for (const { name, value } of this.route.headers) reply.header(name, typeof value === 'function' ? value() : value);
    reply.header('x-cache', 'HIT').header('etag', etag).header('age', String(Math.max(0, Math.floor((Date.now() - entry.storedAt) / 1000))));
    if (ifNoneMatchMatches(request.headers['if-none-match'], etag)) {
      reply.code(304).send();
      return true;
    }
    reply.code(this.route.statusCode).header('content-type', JSON_CONTENT_TYPE).send(entry.json);
    return true;
  }
}
