import { type CanActivate, type ExecutionContext, HttpException, HttpStatus, Injectable, Logger } from '@nestjs/common';
import type { FastPathGuard } from 'nestjs-tiered-cache';
import { TokenRegistry } from '../auth/token-registry.js';
import { type RateDecision, PollRateLimiter } from './poll-rate-limiter.js';

/** Where a decision is kept on the request, so one request is charged once whoever asks first. */
const DECISION = Symbol('jobs-api:poll-rate-decision');

type Marked = { [DECISION]?: RateDecision; raw?: object; headers: Record<string, string | string[] | undefined> };
type ReplyLike = { header(name: string, value: string): unknown };

/** Log a client's refusals at most this often (a runaway poller would otherwise flood the log). */
const WARN_EVERY_MS = 10_000;

/**
 * The per-client poll rate limit: `429 Too Many Requests` with `Retry-After` once a client has used its
 * bucket (see {@link PollRateLimiter}). Only clients are limited: the admin (the workers, and every caller
 * while auth is off) is not. A request without a valid token is not charged: the auth guard answers `401`.
 *
 * Two entry points, one charge per request:
 * - {@link canActivateFastPath}: synchronous, no I/O, the library's `FastPathGuard` check for the poll's
 *   `@CacheFastPath`. It charges the client and records the decision on the request; `false` means "do not
 *   answer here" (the full pipeline then answers `429`).
 * - {@link canActivate}: Nest's pipeline. It reuses a decision already recorded, so a request that fell
 *   through from the fast path is never charged twice.
 */
@Injectable()
export class PollRateLimitGuard implements CanActivate, FastPathGuard {
  private readonly logger = new Logger('RateLimit');
  private readonly lastWarned = new Map<string, number>();

  constructor(
    private readonly limiter: PollRateLimiter,
    private readonly tokens: TokenRegistry,
  ) {}

  canActivateFastPath(context: ExecutionContext): boolean {
    return this.decide(context.switchToHttp().getRequest<Marked>()).allowed;
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const decision = this.decide(http.getRequest<Marked>());
    if (decision.allowed) return true;
    http.getResponse<ReplyLike>().header('Retry-After', String(decision.retryAfterSeconds));
    throw new HttpException(
      { statusCode: HttpStatus.TOO_MANY_REQUESTS, error: 'Too Many Requests', message: `Poll rate limit reached; retry after ${decision.retryAfterSeconds} s` },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }

  private decide(request: Marked): RateDecision {
    // Fastify's request wraps Node's; whichever a caller holds, the mark goes on the one both share.
    const target = (request.raw ?? request) as Marked;
    const recorded = target[DECISION];
    if (recorded !== undefined) return recorded;
    const principal = this.tokens.principalOf(request.headers.authorization);
    const decision: RateDecision = principal?.kind === 'client' ? this.limiter.charge(principal.clientId) : { allowed: true };
    target[DECISION] = decision;
    if (!decision.allowed && principal?.kind === 'client') this.warnOnce(principal.clientId);
    return decision;
  }

  private warnOnce(clientId: string): void {
    const now = Date.now();
    if (now - (this.lastWarned.get(clientId) ?? 0) < WARN_EVERY_MS) return;
    this.lastWarned.set(clientId, now);
    this.logger.warn(`Client ${clientId} reached its poll rate limit; answering 429 (logged at most every ${WARN_EVERY_MS / 1000} s)`);
  }
}
