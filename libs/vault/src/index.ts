export * from './vault-crypto.js';
export * from './entities/trust-key.entity.js';
export * from './entities/vault-patient.entity.js';
export * from './entities/vault-record.entity.js';
import { TrustKey } from './entities/trust-key.entity.js';
import { VaultPatient } from './entities/vault-patient.entity.js';
import { VaultRecord } from './entities/vault-record.entity.js';
export const VAULT_ENTITIES = [TrustKey, VaultPatient, VaultRecord];
