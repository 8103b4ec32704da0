import { ValidationPipe } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.types.js';
import { requestChildLogger } from '../logging/lazy-request-logger.js';
import { requestIdFor } from '../logging/request-id.js';
import { observeRequests } from '../observe-requests.js';
import { setupOpenApi } from '../openapi/setup-openapi.js';
import { AllExceptionsFilter } from './all-exceptions.filter.js';
import { registerBodyDepthLimit } from './body-depth-limit.js';
import { JsonObjectBodyPipe } from './json-object-body.pipe.js';

/** Bodies above this are refused with `413` before they are parsed. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** The Fastify adapter with the service's limits, logging through `logger` (see `createRootLogger`). */
export function createFastifyAdapter(logger: Logger): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: false,
    loggerInstance: logger,
    // Each request's logger binds its id, and is built only when the request writes a line.
    childLoggerFactory: requestChildLogger,
    // One access line per request, written by our own hook (logging/access-log.ts), instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    genReqId: requestIdFor,
    // While the server closes, Fastify would answer requests still arriving on open connections with its own
    // 503 (no Retry-After, nothing a client can act on). They are served instead: the readiness probe already
    // turned the load balancer away, and the cache stays open until the server has closed (CacheService
    // closes on application shutdown), so every answer is either a normal one or a 503 with Retry-After.
    return503OnClosing: false,
  });
}

/** Everything `main.ts` and the e2e harness must apply identically to the application. */
export function configureApp(app: NestFastifyApplication, config: AppConfig): void {
  const secrets = [config.database.url, config.redis.url, config.auth.adminToken, ...config.auth.clients.map((c) => c.token)];
  observeRequests(app);
  registerBodyDepthLimit(app.getHttpAdapter().getInstance());
  app.useGlobalPipes(new JsonObjectBodyPipe(), new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  // Also catches what Fastify raises before a handler runs (body too large, malformed JSON): Nest routes
  // Fastify's error handler through the global filters.
  app.useGlobalFilters(new AllExceptionsFilter(secrets));
  setupOpenApi(app);
  app.enableShutdownHooks();
}
