import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { DomainError } from '@harbour/errors';
import { AuditLog, ANONYMOUS_ACTOR } from '@harbour/audit';
import { PERMISSION_KEY, PUBLIC_KEY, type Permission } from './permissions.js';
import { actorOf, hasPermission } from './principal.js';
import { PRINCIPAL_REQUEST_KEY } from './current-principal.decorator.js';
import { AccessTokenService } from '../tokens/access-token.service.js';

/**
 * Global guard: deny by default. Public routes pass; routes with a permission need a valid
 * bearer token (RFC 6750) whose principal holds it; routes that declare neither are refused (and
 * fail the route-declaration test), so forgetting the decorator can never open a route.
 *
 * Every bad token answers 401 `invalid_token` with `WWW-Authenticate` (RFC 6750 §3) and the
 * same message whatever the cause; the cause goes to the audit trail (its own transaction,
 * committed although the request fails). A valid token without the permission answers 403.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AccessTokenService) private readonly tokens: AccessTokenService,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, targets);
    if (!permission) throw new DomainError('forbidden', 'route has no access declaration');
    const req = ctx.switchToHttp().getRequest<Request>();
    const res = ctx.switchToHttp().getResponse<Response>();
    const route = `${req.method}:${(req.route as { path?: string } | undefined)?.path ?? 'unmatched'}`;

    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim()) : null;
    if (!match) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new DomainError('unauthenticated', 'authentication required: send a bearer token');
    }
    const check = await this.tokens.verify(match[1]!);
    if (!check.ok) {
      await this.audit.append({
        action: 'auth.token_rejected',
        actor: check.subjectId ? { ...ANONYMOUS_ACTOR, type: 'user', id: check.subjectId } : ANONYMOUS_ACTOR,
        outcome: 'denied',
        payload: { reason: check.reason, route },
      });
      res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw new DomainError('invalid_token', 'the access token is invalid, expired or revoked');
    }
    if (!hasPermission(check.principal, permission)) {
      await this.audit.append({
        action: 'auth.access_denied',
        actor: actorOf(check.principal),
        outcome: 'denied',
        payload: { permission, route },
      });
      throw new DomainError('forbidden', 'not permitted');
    }
    (req as unknown as Record<string, unknown>)[PRINCIPAL_REQUEST_KEY] = check.principal;
    return true;
  }
}
