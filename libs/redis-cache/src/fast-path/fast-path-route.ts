import type { Type } from '@nestjs/common';
import { GUARDS_METADATA, HEADERS_METADATA, HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import type { NestContainer } from '@nestjs/core';
import { GuardsContextCreator, InterceptorsContextCreator } from '@nestjs/core/internal';
import { CacheConfigError } from '../engine/cache.errors.js';
import { CacheInterceptor } from '../interceptors/cache.interceptor.js';
import { type FastPathGuard, isFastPathGuard } from './fast-path-guard.js';
import type { CacheFastPathOptions, FastPathMark, FastPathRequest, RouteHandler } from './fast-path.types.js';

/** A header set by `@Header()` on the handler (Nest applies them to every response of the route). */
export interface RouteHeader {
  readonly name: string;
  readonly value: string | (() => string);
}

/** A `@CacheFastPath` route as Nest registered it: the controller, and everything that applies to it. */
export interface FastPathRoute {
  /** `GET /api/v2/jobs/:id (JobsController.get)`. */
  readonly label: string;
  readonly controller: Type;
  readonly callback: RouteHandler;
  /** Every guard that applies (global, controller, handler), in Nest's order; each has a fast check. */
  readonly guards: readonly FastPathGuard[];
  readonly headers: readonly RouteHeader[];
  readonly statusCode: number;
  readonly options: CacheFastPathOptions<FastPathRequest, unknown>;
  /** Interceptors besides `CacheInterceptor` that apply to the route: they do not run on a fast-path hit. */
  readonly otherInterceptors: readonly string[];
}

const nameOf = (enhancer: unknown): string =>
  (typeof enhancer === 'function' ? enhancer.name : (enhancer as object | null)?.constructor?.name) || 'an anonymous guard';

/**
 * Resolves the guards and interceptors of a marked route with Nest's own context creators — exactly the
 * ones Nest's router binds to it (global ones included) — and checks that the fast path may run in front of
 * them. Throws `CacheConfigError` naming the route (the app must not start) when a guard has no fast check,
 * a guard or the controller is request-scoped (no instance exists before the request), or the route is not
 * under `CacheInterceptor`.
 */
export function resolveFastPathRoute(container: NestContainer, mark: FastPathMark, method: string, url: string): FastPathRoute {
  const hosts = [...container.getModules().entries()].flatMap(([moduleKey, module]) => [...module.controllers.values()]
    .filter((wrapper) => (wrapper.instance as Record<string, unknown> | undefined)?.[mark.method] === mark.callback)
    .map((wrapper) => ({ moduleKey, module, wrapper })));
  const where = `${method} ${url}`;
  if (hosts.length !== 1) {
    throw new CacheConfigError(`@CacheFastPath on ${where}: the handler ${mark.method} belongs to ${hosts.length} registered controllers; mark a handler of exactly one`);
  }
  const [{ moduleKey, module, wrapper }] = hosts;
  const label = `${where} (${wrapper.name}.${mark.method})`;
  const refuse = (why: string): never => {
    throw new CacheConfigError(`@CacheFastPath on ${label}: ${why}`);
  };
  if (!wrapper.isDependencyTreeStatic()) refuse('the controller is request-scoped, so no guard instance exists before the request');
  const config = container.applicationConfig;
  const requestGuards = config?.getGlobalRequestGuards() ?? [];
  if (requestGuards.length > 0) refuse(`the global guard ${requestGuards.map((g) => String(g.name)).join(', ')} is request-scoped and cannot take part`);
  const scopedGuards = [wrapper.metatype, mark.callback].flatMap((target) => (Reflect.getMetadata(GUARDS_METADATA, target as object) as unknown[] | undefined) ?? [])
    .filter((guard) => typeof guard === 'function' && module.injectables.get(guard as Type)?.isDependencyTreeStatic() === false);
  if (scopedGuards.length > 0) refuse(`the guard ${scopedGuards.map(nameOf).join(', ')} is request-scoped and cannot take part`);

  const instance = wrapper.instance;
  const callback = mark.callback as (...args: unknown[]) => unknown;
  const guards = new GuardsContextCreator(container, config).create(instance, callback, moduleKey);
  for (const guard of guards) {
    if (!isFastPathGuard(guard)) {
      refuse(`its guard ${nameOf(guard)} has no canActivateFastPath(context) — implement FastPathGuard on it, or remove @CacheFastPath`);
    }
  }
  const interceptors = [
    ...new InterceptorsContextCreator(container, config).create(instance, callback, moduleKey),
    ...(config?.getGlobalRequestInterceptors() ?? []),
  ];
  if (!interceptors.some((interceptor) => interceptor instanceof CacheInterceptor)) {
    refuse('the route is not under CacheInterceptor, which answers the same requests when they are handed on');
  }
  return {
    label,
    controller: wrapper.metatype as Type,
    callback: mark.callback,
    guards: guards as unknown as FastPathGuard[],
    headers: (Reflect.getMetadata(HEADERS_METADATA, mark.callback) as RouteHeader[] | undefined) ?? [],
    statusCode: (Reflect.getMetadata(HTTP_CODE_METADATA, mark.callback) as number | undefined) ?? 200,
    options: mark.options as unknown as FastPathRoute['options'],
    otherInterceptors: interceptors.filter((interceptor) => !(interceptor instanceof CacheInterceptor)).map(nameOf),
  };
}
