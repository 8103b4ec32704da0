import type { FastPathRequest } from 'nestjs-tiered-cache';
import type { AuthenticatedRequest, Principal } from '../auth/principal.types.js';
import type { JobResponse } from './dto/job.response.js';

/** Whether `principal` may see `job`: the admin sees every job, a client only its own. */
export function canSeeJob(principal: Principal | undefined, job: Pick<JobResponse, 'clientId'>): boolean {
  return principal !== undefined && (principal.kind === 'admin' || job.clientId === principal.clientId);
}

/** A poll as the fast path sees it: Fastify's request, with the principal the guard's fast check put on it. */
export type PollRequest = FastPathRequest & AuthenticatedRequest;
