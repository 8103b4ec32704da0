import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { AuthenticatedRequest, Principal } from './principal.types.js';

/** Metadata keys read by {@link AuthGuard}. */
export const AUTH_METADATA = { adminOnly: 'jobs_api:admin_only', public: 'jobs_api:public' } as const;

/** Route (or controller) callable only by the admin token: a client gets `403`. */
export const AdminOnly = (): MethodDecorator & ClassDecorator => SetMetadata(AUTH_METADATA.adminOnly, true);

/** Route (or controller) callable without a token, e.g. the health probe. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(AUTH_METADATA.public, true);

/** Injects the {@link Principal} the guard established. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  // The guard runs on every non-public route; reaching here without a principal is a wiring bug, not a 401.
  if (principal === undefined) throw new Error('CurrentPrincipal used on a route the AuthGuard did not authenticate');
  return principal;
});
