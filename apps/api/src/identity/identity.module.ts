import { Module } from '@nestjs/common';
import { AuthController } from './auth.controller.js';
import { OAuthController } from './oauth.controller.js';
import { AdminController } from './admin.controller.js';

/** HTTP delivery of identity: token endpoint, JWKS, people's sign-in, station administration. */
@Module({ controllers: [OAuthController, AuthController, AdminController] })
export class IdentityApiModule {}
