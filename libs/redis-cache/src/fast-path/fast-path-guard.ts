import type { ExecutionContext } from '@nestjs/common';

/**
 * A guard that can take part in the HTTP fast path. A route marked `@CacheFastPath` gets one only if every
 * guard that applies to it (global, controller, handler) implements this; otherwise the app refuses to start,
 * naming the route and the guard.
 *
 * `canActivateFastPath` is the guard's own decision, synchronous and without throwing: `true` lets the
 * request on towards the cache (it may put what it established on the request, as `canActivate` does);
 * `false` hands the request to Nest's pipeline, where `canActivate` decides (and answers `401`, `403`, `429`…).
 * It must never let through a request that `canActivate` would refuse.
 *
 * A guard whose check has a side effect (a rate limiter counting the request) must not apply it twice: when
 * a request its fast check admitted is handed on (a miss), its `canActivate` runs too —
 * {@link admittedOnFastPath} tells it so.
 *
 * @example
 * canActivateFastPath(context: ExecutionContext): boolean { return this.principalOf(context) !== undefined; }
 * canActivate(context: ExecutionContext): boolean { if (admittedOnFastPath(context, this)) return true; … }
 */
export interface FastPathGuard {
  canActivateFastPath(context: ExecutionContext): boolean;
}

/** Whether `guard` offers a fast check. */
export function isFastPathGuard(guard: unknown): guard is FastPathGuard {
  return typeof (guard as Partial<FastPathGuard> | null)?.canActivateFastPath === 'function';
}

/** Per request: the guards whose fast check admitted it before it was handed on. */
const admitted = new WeakMap<object, ReadonlySet<FastPathGuard>>();

/** Records that `guards` admitted `request` on the fast path, which then handed it on. */
export function markAdmitted(request: object, guards: readonly FastPathGuard[]): void {
  if (guards.length > 0) admitted.set(request, new Set(guards));
}

/**
 * Whether `guard`'s fast check already admitted this request (which the fast path then handed on to the
 * pipeline): a guard that counts or charges requests returns `true` from `canActivate` without counting again.
 */
export function admittedOnFastPath(context: ExecutionContext, guard: object): boolean {
  return admitted.get(context.switchToHttp().getRequest<object>())?.has(guard as FastPathGuard) ?? false;
}
