import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiExcludeController, ApiExtraModels, ApiHeader, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CacheAdminController } from '../cache-admin/cache-admin.controller.js';
import { HealthController } from '../health/health.controller.js';
import { JOB_STATUSES } from '../jobs/job-status.js';
import { JobEventsController } from '../jobs/job-events.controller.js';
import { JobsController } from '../jobs/jobs.controller.js';
import { MetricsController } from '../metrics/metrics.controller.js';
import { PageController } from '../ui/page.controller.js';
import { CreateJobSchema, ErrorSchema, JobListSchema, JobSchema, LivenessSchema, NotLiveSchema, ReadinessSchema, UpdateProgressSchema } from './schemas.js';

const ERRORS: Record<number, string> = {
  400: 'Bad input (malformed id, unknown or wrongly typed field, malformed JSON); nothing changed',
  401: 'Missing or unknown bearer token',
  403: 'A client token on an admin route',
  404: 'No such job, or another client’s job (indistinguishable on purpose)',
  413: 'Body over 1 MB',
  429: 'Poll rate limit (or, for an event stream, the bound of open streams) reached, per client and instance; retry after `Retry-After` seconds',
  503: 'PostgreSQL not answering (or the cache cut off from Redis past its write window); nothing changed; retry after `Retry-After` seconds',
};
const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } };

/** Error answers, all in the one error shape. */
const errors = (...codes: number[]) =>
  applyDecorators(
    ...codes.map((status) =>
      ApiResponse({ status, description: ERRORS[status], type: ErrorSchema, headers: status === 429 || status === 503 ? RETRY_AFTER : undefined }),
    ),
  );

/** The cache validators of a read: `ETag` from the entry, `X-Cache`, `Age`, `Cache-Control`. */
const CACHE_HEADERS = {
  ETag: { description: 'Version and body hash of the cached entry, e.g. `"v4-0eiIzmtykKh58v8e"`; send it back as `If-None-Match`', schema: { type: 'string' } },
  'X-Cache': { description: '`HIT` (L1 or Redis), `MISS` (loaded from PostgreSQL), `STALE` (PostgreSQL failing; served within the grace period)', schema: { enum: ['HIT', 'MISS', 'STALE'] } },
  Age: { description: 'Seconds since the entry was stored', schema: { type: 'integer' } },
  'Cache-Control': { description: '`private, no-cache`: per-caller data; revalidate with the ETag', schema: { type: 'string' } },
};

const conditionalRead = (ok: { type: object; description: string }) =>
  applyDecorators(
    ApiHeader({ name: 'If-None-Match', required: false, description: 'An ETag of an earlier answer: `304` with no body when it is still current' }),
    ApiResponse({ status: 200, description: ok.description, type: ok.type as never, headers: CACHE_HEADERS }),
    ApiResponse({ status: 304, description: 'Not modified: the `If-None-Match` ETag is current (no body)', headers: CACHE_HEADERS }),
  );

/** `decorator` applied to `method` of `controller`, as if written on it; a renamed method fails the start. */
function on(controller: { prototype: object; name: string }, method: string, ...decorators: MethodDecorator[]): void {
  const descriptor = Object.getOwnPropertyDescriptor(controller.prototype, method);
  if (descriptor === undefined) throw new Error(`OpenAPI: ${controller.name}.${method} does not exist (renamed? update openapi/route-docs.ts)`);
  applyDecorators(...decorators)(controller.prototype, method, descriptor);
}

let applied = false;

/**
 * Describes every route for `@nestjs/swagger`: the routes themselves (paths, methods, parameters) come
 * from the controllers; what they answer — bodies, headers, every error — is written here, beside each
 * other, so the controllers stay about behaviour. `test/openapi.e2e-spec.ts` fails if a route is missing.
 */
export function describeRoutes(): void {
  if (applied) return;
  applied = true;
  ApiExtraModels(ErrorSchema)(JobsController);
  ApiTags('jobs')(JobsController);
  ApiBearerAuth()(JobsController);
  on(JobsController, 'create', ApiOperation({ summary: 'Create a job (a client for itself; the admin for any client)' }), ApiBody({ type: CreateJobSchema, required: false }),
    ApiResponse({ status: 201, description: 'Created, `queued`, version 1', type: JobSchema }), errors(400, 401, 403, 413, 503));
  on(JobsController, 'list', ApiOperation({ summary: 'The caller’s jobs (every job for the admin), newest first' }),
    ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } }),
    ApiQuery({ name: 'cursor', required: false, schema: { type: 'string' }, description: '`nextCursor` of the previous page' }),
    ApiQuery({ name: 'status', required: false, schema: { enum: [...JOB_STATUSES] }, description: 'Only jobs in this status' }),
    conditionalRead({ type: JobListSchema, description: 'A page of jobs' }), errors(400, 401, 429, 503));
  on(JobsController, 'get', ApiOperation({ summary: 'Poll a job', description: 'Warm polls are answered from the cache before the framework runs; the answer is the same.' }),
    ApiParam({ name: 'id', schema: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } }),
    conditionalRead({ type: JobSchema, description: 'The job' }), errors(400, 401, 404, 429, 503));
  on(JobsController, 'updateProgress', ApiOperation({ summary: 'Report progress (admin: the workers)' }),
    ApiParam({ name: 'id', schema: { type: 'integer', minimum: 1 } }), ApiBody({ type: UpdateProgressSchema }),
    ApiResponse({ status: 200, description: 'The updated job; every poll that starts after this answer sees it, on every instance', type: JobSchema }),
    errors(400, 401, 403, 404, 413, 503));
  on(JobsController, 'delete', ApiOperation({ summary: 'Delete a job (admin)' }), ApiParam({ name: 'id', schema: { type: 'integer', minimum: 1 } }),
    ApiResponse({ status: 204, description: 'Deleted' }), errors(400, 401, 403, 404, 503));

  ApiTags('jobs')(JobEventsController);
  ApiBearerAuth()(JobEventsController);
  on(JobEventsController, 'stream', ApiOperation({
    summary: 'Follow a job: its versions pushed as Server-Sent Events',
    description: [
      'Events: `job` (`id:` = the job version, `data:` = the job as the poll answers it) on connect and then for each newer version once it',
      'is acknowledged, whichever instance took the update; `end` (`data: { id, status, version }`) after a completed or failed job;',
      '`gone` (`data: { id }`) once the job is deleted; comment heartbeats in between. The stream ends after `end` or `gone`.',
      'Versions come in order and once, never older than a poll would answer; one superseded before it was read is stood for by the newer one.',
      'While the cache cannot announce every change (Redis or its bus down) the job is read every second instead.',
      'The ETag poll (`GET /api/v2/jobs/{id}`) is the fallback where streams cannot be used.',
    ].join(' '),
  }),
    ApiParam({ name: 'id', schema: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } }),
    ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The `id` of the last event received: the stream resumes after that version', schema: { type: 'integer', minimum: 0 } }),
    ApiResponse({ status: 200, description: 'The event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }),
    errors(400, 401, 404, 429, 503));

  ApiTags('cache')(CacheAdminController);
  ApiBearerAuth()(CacheAdminController);
  on(CacheAdminController, 'stats', ApiOperation({ summary: 'Cache counters, tiers, circuit state (admin)' }),
    ApiResponse({ status: 200, description: 'Statistics', schema: { type: 'object' } }), errors(401, 403));
  on(CacheAdminController, 'clear', ApiOperation({ summary: 'Delete this service’s cache keys (admin)' }),
    ApiResponse({ status: 200, description: 'How many keys were deleted', schema: { type: 'object', properties: { cleared: { type: 'integer' } }, required: ['cleared'] } }),
    errors(401, 403));

  // The page at / and its files are for browsers, not part of the API.
  ApiExcludeController()(PageController);

  ApiTags('operations')(HealthController);
  ApiTags('operations')(MetricsController);
  on(HealthController, 'check', ApiOperation({ summary: 'Health for people: 503 when PostgreSQL does not answer' }));
  on(HealthController, 'live', ApiOperation({ summary: 'Liveness probe: the process and its event loop' }),
    ApiResponse({ status: 200, description: 'Live', type: LivenessSchema }), ApiResponse({ status: 503, description: 'Event loop stuck', type: NotLiveSchema }));
  on(HealthController, 'ready', ApiOperation({ summary: 'Readiness probe: can this instance answer polls' }),
    ApiResponse({ status: 200, description: 'Ready (PostgreSQL answers, or the cache serves)', type: ReadinessSchema }),
    ApiResponse({ status: 503, description: 'Not ready, or draining', type: ReadinessSchema }));
  on(MetricsController, 'scrape', ApiOperation({ summary: 'Prometheus metrics (text exposition format)' }),
    ApiResponse({ status: 200, description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } }));
}
