import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength, MinLength } from 'class-validator';

export class QuarantineDecisionDto {
  @ApiProperty({ enum: ['release', 'reject'] })
  @IsIn(['release', 'reject'])
  decision!: 'release' | 'reject';

  @ApiProperty({
    description: "The guardian's reason (kept with the instance; not copied to the audit trail)",
    example: 'checked: no burned-in text',
  })
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  reason!: string;
}
