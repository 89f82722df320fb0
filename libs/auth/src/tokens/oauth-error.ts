/**
 * An OAuth 2.0 error response (RFC 6749 §5.2), used only by the token endpoint, whose clients
 * expect `{ error, error_description }` rather than Harbour's usual error body.
 */
export type OAuthErrorCode =
  'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope';

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(description);
    this.name = 'OAuthError';
  }

  /** RFC 6749 §5.2: 400, except failed client authentication, which may answer 401. */
  get status(): number {
    return this.error === 'invalid_client' ? 401 : 400;
  }
}
