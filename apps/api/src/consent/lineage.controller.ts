import { Body, Controller, HttpCode, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { LineageService, type LineageReport } from '@harbour/consent';
import { CurrentPrincipal, RequirePermission, type Principal } from '@harbour/auth';

export class LineageDto {
  @ApiProperty({ description: 'the patient NHS number (sent in the body, never in a URL)' })
  @IsString()
  @MaxLength(20)
  nhsNumber!: string;
}

@ApiTags('consent')
@ApiBearerAuth()
@Controller('trusts/:trustId/lineage')
export class LineageController {
  constructor(@Inject(LineageService) private readonly lineage: LineageService) {}

  @Post()
  @HttpCode(200)
  @RequirePermission('optout.manage')
  @ApiOperation({ summary: "Guardian: earlier releases and outputs that included one of the trust's patients (after withdrawal)" })
  async forPatient(
    @CurrentPrincipal() p: Principal,
    @Param('trustId', ParseUUIDPipe) trustId: string,
    @Body() dto: LineageDto,
  ): Promise<LineageReport> {
    return this.lineage.forPatient(p, trustId, dto.nhsNumber);
  }
}
