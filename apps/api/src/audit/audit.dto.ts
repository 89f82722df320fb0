import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { AUDIT_ACTION_PATTERN } from '@harbour/audit';

export class AuditSearchQueryDto {
  @ApiPropertyOptional({ description: 'entries at or after (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'entries before (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ description: 'actor id' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  actor?: string;

  @ApiPropertyOptional({ description: 'action, `domain.verb_past`', example: 'auth.login_failed' })
  @IsOptional()
  @Matches(AUDIT_ACTION_PATTERN, { message: 'action must look like domain.verb_past' })
  action?: string;

  @ApiPropertyOptional({ description: 'project id' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  project?: string;

  @ApiPropertyOptional({ description: 'trust id' })
  @IsOptional()
  @IsUUID()
  trust?: string;

  @ApiPropertyOptional({ description: 'opaque cursor from the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}
