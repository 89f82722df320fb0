import { errors } from 'jose';
import type { TokenRejectionReason } from '@harbour/audit';
import type { Principal } from '../authz/principal.js';

export type TokenCheck = { ok: true; principal: Principal } | { ok: false; reason: TokenRejectionReason; subjectId?: string };

/** Map jose's verification errors to audit reasons (never to the caller: they all get `invalid_token`). */
export function rejectionReason(err: unknown): TokenRejectionReason {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' || err.claim === 'iat') return 'not_yet_valid';
    if (err.claim === 'iss') return 'bad_issuer';
    if (err.claim === 'aud') return 'bad_audience';
    return 'bad_claims';
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'bad_algorithm';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (err instanceof errors.JWKSNoMatchingKey) return 'unknown_key';
  return 'malformed';
}
