import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header a caller (or a proxy in front) may set to name its request; echoed on every response. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** What we accept as a caller's id: short, printable, no spaces — it is copied into every log line. */
const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify's `genReqId`: the caller's `X-Request-Id` when it is a plausible id, else a fresh UUID. A header
 * that is too long or holds other characters is replaced, never copied (log injection).
 */
export function requestIdFor(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && ACCEPTED.test(given) ? given : randomUUID();
}
