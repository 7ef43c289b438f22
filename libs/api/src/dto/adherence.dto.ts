import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { ADHERENCE_ORDERS, ADHERENCE_PERIODS, type AdherenceOrder, type AdherencePeriod } from '@opendsp/insights';
import { PageCursorQuery, PageLimitQuery } from './validators.decorators.js';

export class AdherenceQuery {
  @ApiPropertyOptional({
    enum: ADHERENCE_PERIODS,
    default: 'calendar',
    description:
      "`calendar`: the calendar month holding today; `rolling`: the 30-day period holding today, counted from the participant's first counting reading.",
  })
  @IsOptional()
  @IsIn(ADHERENCE_PERIODS)
  period: AdherencePeriod = 'calendar';

  @ApiPropertyOptional({ enum: ADHERENCE_ORDERS, default: 'needed_desc', description: 'By days still needed, then OGSC ID.' })
  @IsOptional()
  @IsIn(ADHERENCE_ORDERS)
  order: AdherenceOrder = 'needed_desc';

  @PageCursorQuery()
  cursor?: string;

  @PageLimitQuery(1000, 100)
  limit: number = 100;
}

export class AdherenceDto {
  @ApiProperty({ example: '7Q2M4X9KTR3B' })
  ogscId!: string;

  @ApiProperty({ type: String, nullable: true })
  internalCustomerId!: string | null;

  @ApiProperty({ format: 'date', example: '2026-12-01', description: "First day of the participant's current period." })
  periodStart!: string;

  @ApiProperty({ format: 'date', example: '2026-12-31', description: 'Last day of the period.' })
  periodEnd!: string;

  @ApiProperty({
    description:
      "Days in the period with at least one blood pressure, weight, SpO2, temperature or ECG reading (the participant's local days).",
  })
  daysWithReadings!: number;

  @ApiProperty({ example: 16 })
  thresholdDays!: number;

  @ApiProperty({ description: 'Days still needed to reach the threshold; 0 once met.' })
  daysStillNeeded!: number;

  @ApiProperty()
  thresholdMet!: boolean;

  @ApiProperty({ description: 'Whether the threshold can still be met this period.' })
  canStillBeMet!: boolean;

  @ApiProperty({
    type: String,
    format: 'date',
    nullable: true,
    description: 'The last day on which the threshold can still be met (after it, it no longer can); null once met.',
  })
  lastDayToMeet!: string | null;
}

export class AdherencePageDto {
  @ApiProperty({ format: 'date', description: "Today in the platform's time zone, which the periods hold." })
  today!: string;

  @ApiProperty({ enum: ADHERENCE_PERIODS })
  period!: AdherencePeriod;

  @ApiProperty({ type: [AdherenceDto] })
  data!: AdherenceDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' })
  nextCursor!: string | null;
}
