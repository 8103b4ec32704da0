import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/**
 * Routes whose successful answers are logged at `debug` rather than `info`: probes and scrapes arrive every
 * few seconds from machines and would drown the requests people make. `LOG_LEVEL=debug` shows them.
 */
export const QUIET_ROUTES: ReadonlySet<string> = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

function levelOf(request: FastifyRequest, reply: FastifyReply): 'debug' | 'info' | 'error' {
  if (reply.statusCode >= 500) return 'error';
  return QUIET_ROUTES.has(request.routeOptions.url ?? '') ? 'debug' : 'info';
}

/**
 * The access log: one JSON line per answered request, written from Fastify's `onResponse` hook (so a
 * request answered before Nest is logged like any other), through `request.log`, which carries `reqId`.
 * Route template, status, `X-Cache`, time taken; request headers only at `debug`, credentials redacted by
 * the root logger.
 */
export function writeAccessLine(request: FastifyRequest, reply: FastifyReply): void {
  // Fastify's request logger is a pino child (the adapter is built with `loggerInstance`, a pino logger).
  const log = request.log as Logger;
  const level = levelOf(request, reply);
  if (!log.isLevelEnabled(level)) return;
  const withHeaders = log.isLevelEnabled('debug');
  log[level](
    {
      // Not `req`/`res`: Fastify's serializers for those keys would keep only a few fields.
      request: { method: request.method, url: request.url, remoteAddress: request.ip, ...(withHeaders ? { headers: request.headers } : {}) },
      response: { statusCode: reply.statusCode, xCache: reply.getHeader('x-cache') },
      route: request.routeOptions.url ?? null,
      responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
    },
    'request completed',
  );
}
