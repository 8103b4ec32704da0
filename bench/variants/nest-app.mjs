// Shared plumbing for the Nest comparison variants, written as plain ESM (no build step): decorators are
// applied by hand with Reflect.decorate, exactly as the TypeScript compiler would emit them.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

/** Applies class decorators (bottom-up, like TypeScript) and returns the decorated class. */
export function decorateClass(cls, ...decorators) {
  return Reflect.decorate(decorators, cls);
}

/** Applies method decorators to `cls.prototype[method]`. */
export function decorateMethod(cls, method, ...decorators) {
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, method);
  const result = Reflect.decorate(decorators, cls.prototype, method, descriptor);
  Object.defineProperty(cls.prototype, method, result ?? descriptor);
}

/** Applies a parameter decorator to argument `index` of `cls.prototype[method]` (or the constructor). */
export function decorateParam(cls, method, index, decorator) {
  if (method === undefined) decorator(cls, undefined, index);
  else decorator(cls.prototype, method, index);
}

/** `GET /health` → 200, the readiness probe the harness waits on. */
export class HealthController {
  check() {
    return { status: 'ok' };
  }
}
decorateMethod(HealthController, 'check', Get());
decorateClass(HealthController, Controller('health'));

/** Builds a root module from `imports`, `controllers` and `providers` (HealthController added). */
export function rootModule({ imports = [], controllers = [], providers = [] }) {
  class BenchAppModule {}
  return decorateClass(BenchAppModule, Module({ imports, controllers: [HealthController, ...controllers], providers }));
}

/** Creates the Nest app on Fastify, listens on PORT/HOST and closes cleanly on SIGTERM. */
export async function listenFastify(appModule) {
  const app = await NestFactory.create(appModule, new FastifyAdapter(), { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
  return app;
}

/** Reads a required environment variable. */
export function requiredEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}
