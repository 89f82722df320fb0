import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from './domain-error.js';
import { httpStatusOf, type ErrorCode } from './error-codes.js';
import { currentCorrelationId } from './correlation.js';

/** The one error body shape of the HTTP API. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  correlationId: string;
  fields?: readonly { field: string; messages: readonly string[] }[];
}

function fromHttpException(err: HttpException): { status: number; code: ErrorCode; message: string } {
  const status = err.getStatus();
  const code: ErrorCode =
    status === 404
      ? 'route_not_found' // services throw DomainError('not_found'); a Nest 404 is the router's
      : status === 413
        ? 'payload_too_large'
        : status === 415
          ? 'unsupported_media_type'
          : status === 401
            ? 'unauthenticated'
            : status === 403
              ? 'forbidden'
              : status === 429
                ? 'rate_limited'
                : status >= 500
                  ? 'internal_error'
                  : 'invalid_request';
  // Nest's own messages can echo the request ("Cannot GET /path?query"), and a query string may
  // carry identifiers: answer with a fixed text per status instead.
  const fixed: Record<number, string> = {
    400: 'bad request',
    401: 'authentication required',
    403: 'not permitted',
    404: 'no such resource or route',
    405: 'method not allowed',
    413: 'request body too large',
    415: 'unsupported media type',
    429: 'too many requests',
  };
  const message = status >= 500 ? 'internal error' : (fixed[status] ?? 'request refused');
  return { status, code, message };
}

/**
 * Maps every thrown error to `{ code, message, correlationId }`. Unknown errors become a generic
 * 500 whose body reveals nothing; their details go to the log with the correlation id only
 * (error messages may echo input, so the log gets the stack, not request bodies).
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    const correlationId = currentCorrelationId() ?? String(req.headers['x-correlation-id'] ?? 'none');
    let status: number;
    let body: ErrorBody;
    if (exception instanceof DomainError) {
      status = httpStatusOf(exception.code);
      // A 5xx is our fault: its message may name internals, so the caller gets the generic one.
      body = { code: exception.code, message: status >= 500 ? 'internal error' : exception.message, correlationId };
      if (status >= 500)
        this.logger.error({
          msg: 'server error',
          correlationId,
          code: exception.code,
          at: exception.stack?.split('\n').slice(1, 8).join('\n'),
        });
      if (exception.details?.fields) body.fields = exception.details.fields;
    } else if (exception instanceof HttpException) {
      const mapped = fromHttpException(exception);
      status = mapped.status;
      body = { code: mapped.code, message: mapped.message, correlationId };
    } else if (isBodyParserError(exception)) {
      status = exception.status;
      body = {
        code: exception.type === 'entity.too.large' ? 'payload_too_large' : 'invalid_request',
        message: exception.type === 'entity.too.large' ? 'request body too large' : 'request body is not valid JSON',
        correlationId,
      };
    } else {
      status = 500;
      body = { code: 'internal_error', message: 'internal error', correlationId };
      const err = exception instanceof Error ? exception : new Error('non-error thrown');
      // Only the error's type and where it was thrown: driver messages can quote input values
      // (e.g. a value that failed a type cast), which may be identifying.
      this.logger.error({ msg: 'unhandled error', correlationId, error: err.name, at: err.stack?.split('\n').slice(1, 8).join('\n') });
    }
    if (res.headersSent) return;
    res.status(status).json(body);
  }
}

function isBodyParserError(e: unknown): e is { status: number; type: string } {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { status?: unknown }).status === 'number' &&
    typeof (e as { type?: unknown }).type === 'string'
  );
}
