import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/** The logger of the request being handled (Fastify's `request.log`: a child carrying `reqId`). */
const current = new AsyncLocalStorage<Logger>();

/** The current request's logger, or `undefined` outside a request (start-up, timers, shutdown). */
export function currentRequestLogger(): Logger | undefined {
  return current.getStore();
}

/**
 * Runs the rest of `request`'s lifecycle (`done`, from a global `preValidation` hook: after the body is
 * parsed, before Nest's guards, pipes and handler) with `request.log` as the current logger, so a Nest
 * `Logger` line written while handling it carries its `reqId` (`test/jobs-observability.e2e-spec.ts`).
 */
export function runInRequestContext(request: FastifyRequest, done: () => void): void {
  current.run(request.log as Logger, done);
}
