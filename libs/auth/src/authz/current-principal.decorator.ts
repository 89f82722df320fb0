import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { DomainError } from '@harbour/errors';
import type { Principal } from './principal.js';

/** Where the guard puts the verified principal on the Express request. */
export const PRINCIPAL_REQUEST_KEY = 'harbourPrincipal';

export function principalOfRequest(req: object): Principal | undefined {
  return (req as Record<string, unknown>)[PRINCIPAL_REQUEST_KEY] as Principal | undefined;
}

/** Controller parameter: the authenticated caller (set by `AuthGuard`). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const p = principalOfRequest(ctx.switchToHttp().getRequest<object>());
  if (!p) throw new DomainError('unauthenticated', 'authentication required');
  return p;
});
