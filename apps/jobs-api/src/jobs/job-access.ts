import type { ExecutionContext } from '@nestjs/common';
import { buildKey, type CacheFromEntryOptions } from '@app/redis-cache';
import type { AuthenticatedRequest, Principal } from '../auth/principal.types.js';
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
