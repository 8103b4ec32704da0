import { HttpException, HttpStatus } from '@nestjs/common';
import { CacheWriteRefusedError } from 'nestjs-tiered-cache';
import { STATUS_CODES } from 'node:http';
import { TooManyStreamsError } from '../jobs/job-stream-slots.js';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './database-unavailable.js';

/** The error body of failures that do not bring their own (Nest's shape, so clients see one format). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

/** A client mistake Fastify detected before Nest ran (too large, bad JSON, unsupported media type…). */
function clientErrorStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/** A status, its body, and for a `503` or `429` the seconds a client should wait (`Retry-After`). */
export interface ErrorResponse {
  status: number;
  body: object;
  retryAfterSeconds?: number;
}

function unavailable(message: string, retryAfterSeconds: number): ErrorResponse {
  const body: ErrorBody = { statusCode: HttpStatus.SERVICE_UNAVAILABLE, error: 'Service Unavailable', message };
  return { status: HttpStatus.SERVICE_UNAVAILABLE, body, retryAfterSeconds };
}

/**
 * Maps any thrown value to a status and body. A database that is down, overloaded, or too slow (pool acquire or
 * statement timeout) is a `503`: the request did not change anything and may be retried. So is an update the
 * cache refused before COMMIT (`CacheWriteRefusedError`: this instance cannot make it safe for the others right
 * now), with the cache's own `Retry-After`. An `HttpException` keeps its own body (e.g. Terminus's health
 * report on `503`). Unknown errors are `500` with a generic message: their text may carry internals (SQL,
 * hosts), so it goes to the log only.
 */
export function toErrorResponse(error: unknown): ErrorResponse {
  if (error instanceof CacheWriteRefusedError) {
    return unavailable('This update cannot be made visible to every instance right now; nothing was changed. Retry later.', error.retryAfterSeconds);
  }
  if (error instanceof TooManyStreamsError) {
    const body: ErrorBody = { statusCode: HttpStatus.TOO_MANY_REQUESTS, error: 'Too Many Requests', message: error.message };
    return { status: HttpStatus.TOO_MANY_REQUESTS, body, retryAfterSeconds: error.retryAfterSeconds };
  }
  if (isDatabaseUnavailable(error)) {
    return unavailable('The database is not answering; nothing was changed. Retry later.', DATABASE_RETRY_AFTER_SECONDS);
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const body: object =
      typeof response === 'string' ? ({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message: response } satisfies ErrorBody) : response;
    return { status, body };
  }
  const status = clientErrorStatus(error);
  if (status !== undefined) {
    const body: ErrorBody = { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message: (error as Error).message };
    return { status, body };
  }
  const body: ErrorBody = { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, error: 'Internal Server Error', message: 'Internal server error' };
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, body };
}
