import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsBoolean, IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { MAX_EXPORT_PARTICIPANTS } from '@opendsp/exports';
import { EXPORT_KIND_NAMES, type ExportKind } from '@opendsp/measurements';
import { IsGroupId } from './validators.decorators.js';

const commaList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    : value;

const DAY = /^\d{4}-\d\d-\d\d$/;

/** The portal's download form as query parameters: the same group, participants, kinds, days and BOM option. */
export class ExportQuery {
  @ApiProperty({ description: 'The group whose consented participants are exported.', example: 'G7K2M9QX4TR1' })
  @IsGroupId()
  groupId!: string;

  @ApiProperty({
    type: 'string',
    description: `Kinds, comma-separated (${EXPORT_KIND_NAMES.join(', ')}): one gives a CSV file, several a zip of one CSV file per kind.`,
    example: 'blood_pressure,weight',
  })
  @Transform(commaList)
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(EXPORT_KIND_NAMES.length)
  @IsIn(EXPORT_KIND_NAMES, { each: true })
  kinds!: ExportKind[];

  @ApiPropertyOptional({
    type: 'string',
    description: `OGSC IDs or the group's internal customer IDs, comma-separated (at most ${MAX_EXPORT_PARTICIPANTS}); default: every consented participant.`,
    example: 'OG-7K2M9QX4TR1B5ZW8HD3NCAE6,C-1001',
  })
  @IsOptional()
  @Transform(commaList)
  @IsArray()
  @ArrayMaxSize(MAX_EXPORT_PARTICIPANTS)
  @IsString({ each: true })
  participants: string[] = [];

  @ApiPropertyOptional({ description: "First day, in the environment's time zone (`DSP_TIMEZONE`).", example: '2026-11-01' })
  @IsOptional()
  @Matches(DAY, { message: 'from must be a day, YYYY-MM-DD' })
  from?: string;

  @ApiPropertyOptional({ description: 'Last day, included.', example: '2026-11-30' })
  @IsOptional()
  @Matches(DAY, { message: 'to must be a day, YYYY-MM-DD' })
  to?: string;

  @ApiPropertyOptional({ type: 'boolean', default: false, description: 'Start each CSV file with a UTF-8 byte order mark (for Excel).' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  bom: boolean = false;
}
