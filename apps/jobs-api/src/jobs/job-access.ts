import type { ExecutionContext } from '@nestjs/common';
import { buildKey, type CacheFromEntryOptions, type EntryFastPathRoute } from '@app/redis-cache';
import type { AuthenticatedRequest, Principal } from '../auth/principal.types.js';
import type { TokenRegistry } from '../auth/token-registry.js';
import type { JobResponse } from './dto/job.response.js';
import { JobCachePolicy } from './job-cache-policy.js';
import { parseJobId } from './job-id.param.js';

/** Whether `principal` may see `job`: the admin sees every job, a client only its own. */
export function canSeeJob(principal: Principal | undefined, job: Pick<JobResponse, 'clientId'>): boolean {
  return principal !== undefined && (principal.kind === 'admin' || job.clientId === principal.clientId);
}

/**
 * The poll's fast path: a permitted hit on the job's entry (the same `job:<id>` key the repository fills)
 * is answered without the handler. An id that does not parse, a miss, or another client's job runs the
 * handler, which answers `400`, loads, or `404` exactly as before.
 */
export const jobEntryAccess: CacheFromEntryOptions = {
  entryKey(context: ExecutionContext): string | undefined {
    const raw = context.switchToHttp().getRequest<{ params?: Record<string, string | undefined> }>().params?.id;
    try {
      return buildKey(JobCachePolicy.jobNamespace, parseJobId(raw));
    } catch {
      // Not a valid id: the handler's own parameter decorator answers 400.
      return undefined;
    }
  },
  allow(context: ExecutionContext, value: unknown): boolean {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    return canSeeJob(principal, value as JobResponse);
  },
};

/** The poll's `Cache-Control` (see `JobsController.get`): per-caller data, revalidated with the ETag. */
export const JOB_POLL_CACHE_CONTROL = 'private, no-cache';

/**
 * The poll in front of Nest (see `installEntryFastPath`): a fresh hit on `job:<id>` that the caller may
 * see is answered before the guard, interceptor and handler run. Authentication is the guard's own rule
 * (`TokenRegistry.principalOf`), ownership is {@link canSeeJob}; every other request — a malformed id, a
 * miss, no or a bad token, another client's job — runs through Nest and is answered there.
 */
export function jobPollFastPath(tokens: TokenRegistry): EntryFastPathRoute {
  return {
    path: /^\/api\/v2\/jobs\/([1-9][0-9]{0,15})$/,
    entryKey(match) {
      const id = Number(match[1]);
      return Number.isSafeInteger(id) ? buildKey(JobCachePolicy.jobNamespace, id) : undefined;
    },
    allow: (request, value) => canSeeJob(tokens.principalOf(request.headers.authorization), value as JobResponse),
    headers: { 'cache-control': JOB_POLL_CACHE_CONTROL },
  };
}
