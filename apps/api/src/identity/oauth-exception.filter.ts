import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { OAuthError } from '@harbour/auth';

/** The token endpoint's errors in RFC 6749 §5.2 form, not cacheable (§5.1). */
@Catch(OAuthError)
export class OAuthExceptionFilter implements ExceptionFilter {
  catch(err: OAuthError, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    res.setHeader('Cache-Control', 'no-store');
    if (err.status === 401) res.setHeader('WWW-Authenticate', 'Bearer error="invalid_client"');
    res.status(err.status).json({ error: err.error, error_description: err.description });
  }
}
