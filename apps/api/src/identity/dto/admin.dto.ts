import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { ROLES, type Role } from '@harbour/auth';

export class CreateTrustDto {
  @ApiProperty({ description: 'ODS organisation code (3 to 5 upper-case letters and digits)', example: 'RR8' })
  @Matches(/^[A-Z0-9]{3,5}$/, { message: 'odsCode must be 3 to 5 upper-case letters or digits' })
  odsCode!: string;

  @ApiProperty()
  @IsString()
  @Length(2, 200)
  name!: string;
}

export class CreatePartnerDto {
  @ApiProperty()
  @IsString()
  @Length(2, 200)
  name!: string;
}

export class JwksDto {
  @ApiProperty({ description: 'public JWKs (RFC 7517)', type: 'array', items: { type: 'object' } })
  @IsArray()
  @ArrayMaxSize(10)
  @IsObject({ each: true })
  keys!: Record<string, unknown>[];
}

export class RegisterClientDto {
  @ApiProperty()
  @IsString()
  @Length(2, 200)
  name!: string;

  @ApiPropertyOptional({ description: 'owning partner (the client acts as `partner`)' })
  @IsOptional()
  @IsUUID()
  partnerId?: string;

  @ApiPropertyOptional({ description: 'owning trust (the client acts as `trust-uploader`)' })
  @IsOptional()
  @IsUUID()
  trustId?: string;

  @ApiPropertyOptional({ type: JwksDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => JwksDto)
  jwks?: JwksDto;

  @ApiPropertyOptional({ description: 'URL of the client JWK Set' })
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['https', 'http'], require_protocol: true })
  jwksUrl?: string;
}

export class ClientListQueryDto {
  @IsOptional()
  @IsUUID()
  partnerId?: string;

  @IsOptional()
  @IsUUID()
  trustId?: string;
}

export class RoleGrantDto {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES as unknown as string[])
  role!: Role;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  trustId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  partnerId?: string;
}

export class CreateUserDto {
  @ApiProperty({ example: 'j.bloggs' })
  @Matches(/^[a-z0-9][a-z0-9._-]{2,63}$/, { message: 'username must be 3 to 64 lower-case letters, digits, dots, dashes or underscores' })
  username!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsEmail()
  email?: string;

  @ApiPropertyOptional({ description: 'at least 12 characters' })
  @IsOptional()
  @IsString()
  @Length(12, 256)
  password?: string;

  @ApiProperty({ type: [RoleGrantDto] })
  @IsArray()
  @ArrayMaxSize(5)
  @ValidateNested({ each: true })
  @Type(() => RoleGrantDto)
  roles!: RoleGrantDto[];

  @ApiPropertyOptional({ description: 'subject (`sub`) at the configured OIDC provider, for single sign-on' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  externalSubject?: string;
}
