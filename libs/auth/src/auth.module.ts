import { Global, Module } from '@nestjs/common';
import { SigningKeyRepository } from './keys/signing-key.repository.js';
import { SigningKeyService } from './keys/signing-key.service.js';
import { OrganisationRepository } from './repositories/organisation.repository.js';
import { UserRepository } from './repositories/user.repository.js';
import { ClientRepository } from './repositories/client.repository.js';
import { AccessTokenService } from './tokens/access-token.service.js';
import { ClientCredentialsService } from './tokens/client-credentials.service.js';
import { OidcVerifier } from './oidc/oidc.verifier.js';
import { LoginService } from './people/login.service.js';
import { OrganisationService } from './admin/organisation.service.js';
import { ClientAdminService } from './admin/client-admin.service.js';
import { UserAdminService } from './admin/user-admin.service.js';
import { AuthGuard } from './authz/auth.guard.js';

const PROVIDERS = [
  SigningKeyRepository,
  SigningKeyService,
  OrganisationRepository,
  UserRepository,
  ClientRepository,
  OidcVerifier,
  AccessTokenService,
  ClientCredentialsService,
  LoginService,
  OrganisationService,
  ClientAdminService,
  UserAdminService,
  AuthGuard,
];

/**
 * Identity and authorisation services (global: the guard, the key store and the token verifier
 * are needed by every module). Needs `PlatformModule` (Db, config, keys) and `AuditModule`.
 */
@Global()
@Module({ providers: PROVIDERS, exports: PROVIDERS })
export class AuthModule {}
