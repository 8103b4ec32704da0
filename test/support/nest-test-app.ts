import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';

/** The two HTTP adapters every Nest-layer test runs against. */
export const ADAPTERS = ['express', 'fastify'] as const;
export type AdapterName = (typeof ADAPTERS)[number];

/** A unique key prefix per test app on the shared Redis. */
export const uniquePrefix = (label: string): string => `nest-${label}-${randomBytes(4).toString('hex')}:`;

/**
 * Boots `module` on the given adapter (no global pipes or filters: a bare app as a user would write it).
 * `beforeInit` runs on the created app before `init()`, where a user's `main.ts` would configure it.
 */
export async function startNestApp(
  module: unknown, adapter: AdapterName, beforeInit?: (app: INestApplication) => void,
): Promise<{ app: INestApplication; http: () => ReturnType<typeof request> }> {
  const moduleRef = await Test.createTestingModule({ imports: [module as never] }).compile();
  const app =
    adapter === 'express'
      ? moduleRef.createNestApplication(new ExpressAdapter(), { logger: false })
      : moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  beforeInit?.(app);
  await app.init();
  if (adapter === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return { app, http: () => request(app.getHttpServer()) };
}
