import type { ErrorCode } from './error-codes.js';

/** A field-level validation message, safe to return to the caller. */
export interface FieldError {
  readonly field: string;
  readonly messages: readonly string[];
}

/**
 * The only error type services throw for expected failures. Messages must be safe to show the
 * caller: never include patient identifiers, secrets or internal details (the body is returned as is).
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: { readonly fields?: readonly FieldError[]; readonly [k: string]: unknown },
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string): DomainError => new DomainError('not_found', `${what} not found`);
export const forbidden = (message = 'not permitted'): DomainError => new DomainError('forbidden', message);
