import { Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, LoginService, Public, RequirePermission, type Principal, type SessionTokens } from '@harbour/auth';
import { LoginDto, RefreshDto, TotpCodeDto } from './dto/auth.dto.js';

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(@Inject(LoginService) private readonly login: LoginService) {}

  @Post('auth/login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with a password (and a TOTP code when enrolled): access token and refresh token' })
  async signIn(@Body() body: LoginDto): Promise<SessionTokens> {
    return this.login.login(body);
  }

  @Post('auth/refresh')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a refresh token for a new access token and a new refresh token (rotation)' })
  async refresh(@Body() body: RefreshDto): Promise<SessionTokens> {
    return this.login.refresh(body.refreshToken);
  }

  @Post('auth/logout')
  @Public()
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke the session of a refresh token (its access tokens stop working)' })
  async logout(@Body() body: RefreshDto): Promise<void> {
    await this.login.logout(body.refreshToken);
  }

  @Post('auth/mfa/totp/enrol')
  @RequirePermission('account.manage')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Start TOTP enrolment (RFC 6238): returns the secret and an otpauth:// URI' })
  async enrol(@CurrentPrincipal() p: Principal): Promise<{ secret: string; otpauthUri: string }> {
    return this.login.enrolTotp(p);
  }

  @Post('auth/mfa/totp/verify')
  @RequirePermission('account.manage')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Confirm TOTP enrolment with a current code; from then on login needs a code' })
  async verify(@CurrentPrincipal() p: Principal, @Body() body: TotpCodeDto): Promise<{ enabled: true }> {
    return this.login.verifyTotpEnrolment(p, body.code);
  }

  @Get('me')
  @RequirePermission('account.manage')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The calling principal: kind, id, roles, organisation, permissions' })
  me(@CurrentPrincipal() p: Principal): Principal {
    return p;
  }
}
