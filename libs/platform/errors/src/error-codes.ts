/**
 * Every machine-readable error code Harbour returns, and its HTTP status.
 * The map is a `Record` over the union, so adding a code without a status fails to compile:
 * the mapping lives here and nowhere else.
 */
export const ERROR_HTTP_STATUS = {
  // 400: the request itself is wrong
  validation_failed: 400,
  invalid_request: 400,
  invalid_cohort: 400,
  invalid_dicom: 400,
  invalid_extract: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  // 401/403: who you are and what you may do
  unauthenticated: 401,
  invalid_token: 401,
  invalid_client: 401,
  invalid_grant: 400,
  mfa_required: 401,
  account_locked: 423,
  forbidden: 403,
  // 404/409/410: resource state
  not_found: 404,
  /** No such route (as opposed to a resource the caller may not see, which is `not_found`). */
  route_not_found: 404,
  conflict: 409,
  invalid_transition: 409,
  already_exists: 409,
  period_closed: 409,
  unbalanced_posting: 422,
  project_not_active: 403,
  // disclosure control outcomes a caller must handle
  disclosure_refused: 422,
  privacy_budget_exhausted: 429,
  rate_limited: 429,
  // server side
  dependency_unavailable: 503,
  internal_error: 500,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_HTTP_STATUS;

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_HTTP_STATUS[code];
}
