import type { CheckpointSigner } from '@harbour/audit';
import type { StatementSigner } from '@harbour/ledger';
import { STATEMENT_JWS_TYPE } from './pack.js';

/**
 * Statements signed by the station key store (the key that signs tokens and audit checkpoints):
 * compact JWS, ES256, `kid` of the active key, `typ` pinned to statements. Public keys are in
 * `GET /.well-known/jwks.json` and in every audit export and compliance pack (`jwks.json`).
 */
export function stationStatementSigner(keys: CheckpointSigner): StatementSigner {
  return { sign: async (payload) => (await keys.signCompact(payload as Record<string, unknown>, STATEMENT_JWS_TYPE)).jws };
}
