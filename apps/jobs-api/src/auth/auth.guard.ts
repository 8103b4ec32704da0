import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AUTH_METADATA } from './auth.decorators.js';
import type { AuthenticatedRequest } from './principal.types.js';
import { TokenRegistry } from './token-registry.js';

/**
 * Global guard: `Authorization: Bearer <token>` → principal on the request. Missing or unknown token → `401`,
 * a client on an {@link AdminOnly} route → `403`. Tokens are never logged or echoed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenRegistry,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(AUTH_METADATA.public, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = this.tokens.principalOf(request.headers.authorization);
    if (principal === undefined) throw new UnauthorizedException('A valid bearer token is required');
    request.principal = principal;

    if (principal.kind !== 'admin' && this.reflector.getAllAndOverride<boolean>(AUTH_METADATA.adminOnly, targets)) {
      throw new ForbiddenException('This route is for the admin only');
    }
    return true;
  }
}
