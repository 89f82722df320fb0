import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '@harbour/errors';
import { PERMISSION_KEY, PUBLIC_KEY, type Permission } from './permissions.js';

/**
 * Global guard: deny by default. Public routes pass; routes with a permission need an
 * authenticated principal holding it; routes that declare neither are refused (and fail the
 * route-declaration test), so forgetting the decorator can never open a route.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(ctx: ExecutionContext): boolean {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, targets);
    if (!permission) throw new DomainError('forbidden', 'route has no access declaration');
    throw new DomainError('unauthenticated', 'authentication required');
  }
}
