import type { HarbourConfig, KeyMaterial } from '@harbour/config';
import type { Db } from '@harbour/persistence';
import { AuditLog, AuditRepository, AuditTrailService } from '@harbour/audit';
import { SigningKeyRepository } from './keys/signing-key.repository.js';
import { SigningKeyService } from './keys/signing-key.service.js';
import { OrganisationRepository } from './repositories/organisation.repository.js';
import { UserRepository } from './repositories/user.repository.js';
import { ClientRepository } from './repositories/client.repository.js';
import { OidcVerifier } from './oidc/oidc.verifier.js';
import { AccessTokenService } from './tokens/access-token.service.js';
import { ClientCredentialsService } from './tokens/client-credentials.service.js';
import { LoginService } from './people/login.service.js';
import { OrganisationService } from './admin/organisation.service.js';
import { ClientAdminService } from './admin/client-admin.service.js';
import { UserAdminService } from './admin/user-admin.service.js';

/**
 * The identity and audit services wired by hand, for processes without Nest (the CLI, the
 * worker, seeding, benchmarks). The API gets the same classes from `AuthModule`/`AuditModule`.
 */
export function createIdentityServices(parts: { db: Db; config: HarbourConfig; keys: KeyMaterial }) {
  const { db, config, keys } = parts;
  const auditRepo = new AuditRepository(db);
  const audit = new AuditLog(db, auditRepo);
  const signingKeys = new SigningKeyService(db, new SigningKeyRepository(db), audit, keys);
  const orgRepo = new OrganisationRepository(db);
  const users = new UserRepository(db);
  const clients = new ClientRepository(db);
  const tokens = new AccessTokenService(config, signingKeys, users, clients, new OidcVerifier(config, users));
  return {
    audit,
    auditTrail: new AuditTrailService(db, auditRepo, audit, signingKeys),
    signingKeys,
    tokens,
    clientCredentials: new ClientCredentialsService(config, db, clients, tokens, audit),
    login: new LoginService(db, users, tokens, audit, keys),
    organisations: new OrganisationService(db, orgRepo, audit),
    clientAdmin: new ClientAdminService(config, db, clients, orgRepo, audit),
    userAdmin: new UserAdminService(config, db, users, orgRepo, audit),
  };
}
export type IdentityServices = ReturnType<typeof createIdentityServices>;
