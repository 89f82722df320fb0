import { Body, Controller, Get, Header, HttpCode, Inject, Post, UseFilters } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { JSONWebKeySet } from 'jose';
import { ClientCredentialsService, Public, SigningKeyService, type TokenResponse } from '@harbour/auth';
import { OAuthExceptionFilter } from './oauth-exception.filter.js';

@ApiTags('auth')
@Controller()
export class OAuthController {
  constructor(
    @Inject(ClientCredentialsService) private readonly clientCredentials: ClientCredentialsService,
    @Inject(SigningKeyService) private readonly keys: SigningKeyService,
  ) {}

  @Post('oauth/token')
  @Public()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @UseFilters(OAuthExceptionFilter)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({ summary: 'OAuth 2.0 client credentials with a signed JWT assertion (RFC 7523, SMART Backend Services)' })
  async token(@Body() body: Record<string, unknown>): Promise<TokenResponse> {
    return this.clientCredentials.token(body ?? {});
  }

  @Get('.well-known/jwks.json')
  @Public()
  @Header('Cache-Control', 'public, max-age=60')
  @ApiOperation({ summary: 'Public keys that verify Harbour access tokens and audit checkpoints (RFC 7517)' })
  async jwks(): Promise<JSONWebKeySet> {
    return this.keys.publishedJwks();
  }
}
