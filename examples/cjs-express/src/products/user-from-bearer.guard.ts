import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';

/** A stand-in for Passport: `Authorization: Bearer <name>` becomes `request.user = { id: <name> }`. */
@Injectable()
export class UserFromBearer implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: { id: string } }>();
    const name = /^Bearer (\w+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (name !== undefined) request.user = { id: name };
    return true;
  }
}
