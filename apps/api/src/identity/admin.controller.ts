import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ClientAdminService,
  CurrentPrincipal,
  OrganisationService,
  RequirePermission,
  SigningKeyService,
  UserAdminService,
  actorOf,
  isRole,
  type ClientView,
  type PartnerView,
  type Principal,
  type TrustView,
  type UserView,
} from '@harbour/auth';
import { notFound } from '@harbour/errors';
import { ClientListQueryDto, CreatePartnerDto, CreateTrustDto, CreateUserDto, RegisterClientDto, RoleGrantDto } from './dto/admin.dto.js';

/** Station administration over HTTP: organisations, clients, users, keys. Thin: services decide. */
@ApiTags('administration')
@ApiBearerAuth()
@Controller()
export class AdminController {
  constructor(
    @Inject(OrganisationService) private readonly orgs: OrganisationService,
    @Inject(ClientAdminService) private readonly clients: ClientAdminService,
    @Inject(UserAdminService) private readonly users: UserAdminService,
    @Inject(SigningKeyService) private readonly keys: SigningKeyService,
  ) {}

  @Post('trusts')
  @RequirePermission('trust.manage')
  @ApiOperation({ summary: 'Register a trust' })
  async createTrust(@CurrentPrincipal() p: Principal, @Body() body: CreateTrustDto): Promise<TrustView> {
    return this.orgs.createTrust(p, body);
  }

  @Get('trusts')
  @RequirePermission('trust.read')
  @ApiOperation({ summary: 'Trusts the caller may see' })
  async listTrusts(@CurrentPrincipal() p: Principal): Promise<TrustView[]> {
    return this.orgs.listTrusts(p);
  }

  @Get('trusts/:trustId')
  @RequirePermission('trust.read')
  @ApiOperation({ summary: 'One trust (404 when not visible to the caller)' })
  async getTrust(@CurrentPrincipal() p: Principal, @Param('trustId') trustId: string): Promise<TrustView> {
    return this.orgs.getTrust(p, trustId);
  }

  @Post('partners')
  @RequirePermission('partner.manage')
  @ApiOperation({ summary: 'Register a partner organisation' })
  async createPartner(@CurrentPrincipal() p: Principal, @Body() body: CreatePartnerDto): Promise<PartnerView> {
    return this.orgs.createPartner(p, body);
  }

  @Get('partners')
  @RequirePermission('partner.read')
  @ApiOperation({ summary: 'Partners the caller may see' })
  async listPartners(@CurrentPrincipal() p: Principal): Promise<PartnerView[]> {
    return this.orgs.listPartners(p);
  }

  @Get('partners/:partnerId')
  @RequirePermission('partner.read')
  @ApiOperation({ summary: 'One partner (404 when not visible to the caller)' })
  async getPartner(@CurrentPrincipal() p: Principal, @Param('partnerId') partnerId: string): Promise<PartnerView> {
    return this.orgs.getPartner(p, partnerId);
  }

  @Post('clients')
  @RequirePermission('client.manage')
  @ApiOperation({ summary: 'Register a machine client of a partner or a trust, with its public JWK Set or JWKS URL' })
  async registerClient(@CurrentPrincipal() p: Principal, @Body() body: RegisterClientDto): Promise<ClientView> {
    return this.clients.register(p, body);
  }

  @Get('clients')
  @RequirePermission('client.manage')
  @ApiOperation({ summary: 'Machine clients, optionally of one partner or trust' })
  async listClients(@CurrentPrincipal() p: Principal, @Query() q: ClientListQueryDto): Promise<ClientView[]> {
    return this.clients.list(p, { ...(q.partnerId ? { partnerId: q.partnerId } : {}), ...(q.trustId ? { trustId: q.trustId } : {}) });
  }

  @Post('clients/:clientId/disable')
  @RequirePermission('client.manage')
  @HttpCode(200)
  @ApiOperation({ summary: 'Disable a client: no new tokens, and its live tokens stop working' })
  async disableClient(@CurrentPrincipal() p: Principal, @Param('clientId') clientId: string): Promise<ClientView> {
    return this.clients.disable(p, clientId);
  }

  @Post('users')
  @RequirePermission('user.manage')
  @ApiOperation({ summary: 'Create a user with roles' })
  async createUser(@CurrentPrincipal() p: Principal, @Body() body: CreateUserDto): Promise<UserView> {
    return this.users.create(p, body);
  }

  @Get('users')
  @RequirePermission('user.manage')
  @ApiOperation({ summary: 'Users and their roles' })
  async listUsers(@CurrentPrincipal() p: Principal): Promise<UserView[]> {
    return this.users.list(p);
  }

  @Post('users/:userId/roles')
  @RequirePermission('user.manage')
  @ApiOperation({ summary: 'Grant a role' })
  async grantRole(@CurrentPrincipal() p: Principal, @Param('userId') userId: string, @Body() body: RoleGrantDto): Promise<UserView> {
    return this.users.grantRole(p, userId, body);
  }

  @Delete('users/:userId/roles/:role')
  @RequirePermission('user.manage')
  @ApiOperation({ summary: 'Revoke a role (effective at once: roles are read on every request)' })
  async revokeRole(@CurrentPrincipal() p: Principal, @Param('userId') userId: string, @Param('role') role: string): Promise<UserView> {
    if (!isRole(role)) throw notFound('role assignment');
    return this.users.revokeRole(p, userId, role);
  }

  @Post('users/:userId/disable')
  @RequirePermission('user.manage')
  @HttpCode(200)
  @ApiOperation({ summary: 'Disable a user and revoke their sessions' })
  async disableUser(@CurrentPrincipal() p: Principal, @Param('userId') userId: string): Promise<UserView> {
    return this.users.disable(p, userId);
  }

  @Get('keys')
  @RequirePermission('key.manage')
  @ApiOperation({ summary: 'Station signing keys (public ids and status only)' })
  async listKeys(): Promise<{ kid: string; status: string; createdAt: string; retiredAt: string | null }[]> {
    return this.keys.listKeys();
  }

  @Post('keys/rotate')
  @RequirePermission('key.manage')
  @ApiOperation({ summary: 'Make a new signing key active; the old public key stays published until its tokens expire' })
  async rotateKeys(@CurrentPrincipal() p: Principal): Promise<{ kid: string; previousKid: string | null }> {
    return this.keys.rotate(actorOf(p));
  }
}
