import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { RequestDurationHistogram } from './request-duration-histogram.js';

/** Seconds: a warm poll answers in well under a millisecond, a cold one under PostgreSQL load in hundreds. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Label of requests that matched no route (a `404` from Fastify): never the raw URL, which is unbounded. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * `http_request_duration_seconds{method,route,status_code}`: every answered request, timed by Fastify from
 * its arrival to the end of its response, observed from a global `onResponse` hook — so polls answered
 * before Nest are counted too. `route` is the template (`/api/v2/jobs/:id`); `_count` is the request rate.
 */
export class HttpMetrics {
  private readonly histogram: RequestDurationHistogram;

  constructor(registry: Registry) {
    this.histogram = new RequestDurationHistogram(
      'http_request_duration_seconds',
      'Time from the arrival of an HTTP request to the end of its response, by route template, method and status',
      BUCKETS,
      registry,
    );
  }

  observe(request: FastifyRequest, reply: FastifyReply): void {
    // Bounded: methods × route templates × status codes the app answers.
    this.histogram.observe(request.method, request.routeOptions.url ?? UNMATCHED_ROUTE, reply.statusCode, reply.elapsedTime / 1000);
  }
}
