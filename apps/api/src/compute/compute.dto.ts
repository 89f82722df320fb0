import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import type { JsonValue } from '@harbour/compute';

export class SubmitJobDto {
  @ApiProperty({
    description: 'One ES module (JavaScript or TypeScript) exporting the entry function; at most 1 MiB',
    example: 'export function main(h) { … }',
  })
  @IsString()
  @MinLength(1)
  code!: string;

  @ApiProperty({ enum: ['js', 'ts'] })
  @IsIn(['js', 'ts'])
  language!: 'js' | 'ts';

  @ApiPropertyOptional({ description: 'Exported function to call (default `main`, else the default export)', example: 'main' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/)
  entry?: string;

  @ApiPropertyOptional({ description: 'Parameters, visible to the job as `harbour.params` (JSON, at most 64 KiB)', type: Object })
  @IsOptional()
  @Allow()
  params?: JsonValue;

  @ApiProperty({ description: 'Names of the outputs the job may write (letters, digits, . _ -)', example: ['counts_by_sex'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, { each: true })
  outputs!: string[];
}

export class ReviewDto {
  @ApiProperty({ enum: ['approve', 'reject'] })
  @IsIn(['approve', 'reject'])
  decision!: 'approve' | 'reject';

  @ApiProperty({
    description: "The guardian's reason (kept with the review and shown to the partner on rejection; not copied to the audit trail)",
  })
  @IsString()
  @MinLength(3)
  @MaxLength(1000)
  reason!: string;

  @ApiPropertyOptional({ description: 'sha-256 of the bytes reviewed (the content ETag): refused if the output is not these bytes' })
  @IsOptional()
  @Matches(/^[0-9a-fA-F]{64}$/)
  sha256?: string;
}
