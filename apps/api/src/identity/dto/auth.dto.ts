import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

export class LoginDto {
  @ApiProperty({ description: 'username or e-mail address' })
  @IsString()
  @Length(1, 254)
  username!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 256)
  password!: string;

  @ApiPropertyOptional({ description: 'six-digit TOTP code, when the account has a second factor' })
  @IsOptional()
  @Matches(/^\d{6}$/, { message: 'totp must be six digits' })
  totp?: string;
}

export class RefreshDto {
  @ApiProperty()
  @IsString()
  @Length(10, 200)
  refreshToken!: string;
}

export class TotpCodeDto {
  @ApiProperty({ description: 'six-digit code from the authenticator app' })
  @Matches(/^\d{6}$/, { message: 'code must be six digits' })
  code!: string;
}
