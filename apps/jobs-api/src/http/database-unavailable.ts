/**
 * Recognises the failures that mean "PostgreSQL is not answering right now" (as opposed to a bug or a bad
 * query), so they become a `503` with `Retry-After` instead of a `500`: the client may retry, a load balancer
 * may route elsewhere, and nothing was written.
 */

/** SQLSTATEs of an unavailable or overloaded server, or a statement cancelled by `statement_timeout`. */
const UNAVAILABLE_SQLSTATE = /^(08...|53...|57P0[1-4]|57014)$/;

/** Socket-level errors of the driver (the server is down, unreachable or went away). */
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND']);

/**
 * Messages of `pg` and `pg-pool` that carry no code: a full pool or a connect that timed out, a connection
 * lost mid-query, the client-side `query_timeout`.
 */
const UNAVAILABLE_MESSAGE =
  /^(timeout exceeded when trying to connect|Connection terminated( unexpectedly| due to connection timeout)?|Query read timeout|Client has encountered a connection error and is not queryable)$/;

const MAX_DEPTH = 4;

/** Whether `error` (or what it wraps: TypeORM's `driverError`, a `cause`) says the database is unavailable. */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > MAX_DEPTH || typeof error !== 'object' || error === null) return false;
  const { code, message, driverError, cause } = error as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) return true;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
  return isDatabaseUnavailable(driverError, depth + 1) || isDatabaseUnavailable(cause, depth + 1);
}

/** Seconds a client should wait before retrying a `503` caused by the database. */
export const DATABASE_RETRY_AFTER_SECONDS = 1;
