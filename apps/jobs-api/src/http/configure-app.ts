import { ValidationPipe } from '@nestjs/common';
import { CacheService, installEntryFastPath } from '@app/redis-cache';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { TokenRegistry } from '../auth/token-registry.js';
import type { AppConfig } from '../config/app-config.types.js';
import { jobPollFastPath } from '../jobs/job-access.js';
import { AllExceptionsFilter } from './all-exceptions.filter.js';
import { registerBodyDepthLimit } from './body-depth-limit.js';
import { JsonObjectBodyPipe } from './json-object-body.pipe.js';

/** Bodies above this are refused with `413` before they are parsed. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** The Fastify adapter with the service's limits. */
export function createFastifyAdapter(): FastifyAdapter {
  return new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES, trustProxy: false });
}

/** Everything `main.ts` and the e2e harness must apply identically to the application. */
export function configureApp(app: NestFastifyApplication, config: AppConfig): void {
  const secrets = [config.database.url, config.redis.url, config.auth.adminToken, ...config.auth.clients.map((c) => c.token)];
  registerBodyDepthLimit(app.getHttpAdapter().getInstance());
  // Permitted poll hits are answered before Nest's pipeline (the measured reason: BENCHMARKS.md, scenario 1).
  installEntryFastPath(app, { cache: app.get(CacheService), routes: [jobPollFastPath(app.get(TokenRegistry))] });
  app.useGlobalPipes(new JsonObjectBodyPipe(), new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  // Also catches what Fastify raises before a handler runs (body too large, malformed JSON): Nest routes
  // Fastify's error handler through the global filters.
  app.useGlobalFilters(new AllExceptionsFilter(secrets));
  app.enableShutdownHooks();
}
