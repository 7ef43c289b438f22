import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { BrowserForm } from '@opendsp/i18n';
import { ADHERENCE_ORDERS, ADHERENCE_PERIODS, type AdherenceOrder, type AdherencePeriod } from '../../adherence.rules.js';
import { CONTROL_BANDS, type ControlBand } from '../../bp-control.rules.js';

const emptyIsAbsent = ({ value }: { value: unknown }): unknown => (value === '' ? undefined : value);
const integer = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\d{1,3}$/.test(value.trim()) ? Number(value) : value;

/** The adherence list's query: period (calendar by default), order (most days still needed first by default) and page cursor; anything else is a 400. */
export class AdherenceQuery extends BrowserForm {
  @Transform(emptyIsAbsent)
  @IsOptional()
  @IsIn(ADHERENCE_PERIODS)
  period: AdherencePeriod = 'calendar';

  @Transform(emptyIsAbsent)
  @IsOptional()
  @IsIn(ADHERENCE_ORDERS)
  order: AdherenceOrder = 'needed_desc';

  @Transform(emptyIsAbsent)
  @IsOptional()
  @IsString()
  @MaxLength(100)
  after?: string;
}

/** Which participants a control figure counts: a month (`YYYY-MM`, default this one) and a band (default everyone measured). */
export class ControlListQuery extends BrowserForm {
  @Transform(emptyIsAbsent)
  @IsOptional()
  @Matches(/^\d{4}-(0[1-9]|1[0-2])$/)
  month?: string;

  @Transform(emptyIsAbsent)
  @IsOptional()
  @IsIn(CONTROL_BANDS)
  band: ControlBand = 'measured';

  @Transform(emptyIsAbsent)
  @IsOptional()
  @IsString()
  @MaxLength(100)
  after?: string;
}

/** The group's two blood-pressure thresholds (mmHg). */
export class ThresholdsForm extends BrowserForm {
  @Transform(integer)
  @IsInt({ message: 'insights.threshold_invalid' })
  @Min(80, { message: 'insights.threshold_invalid' })
  @Max(220, { message: 'insights.threshold_invalid' })
  targetSystolic!: number;

  @Transform(integer)
  @IsInt({ message: 'insights.threshold_invalid' })
  @Min(40, { message: 'insights.threshold_invalid' })
  @Max(140, { message: 'insights.threshold_invalid' })
  targetDiastolic!: number;

  @Transform(integer)
  @IsInt({ message: 'insights.threshold_invalid' })
  @Min(80, { message: 'insights.threshold_invalid' })
  @Max(220, { message: 'insights.threshold_invalid' })
  hedisSystolic!: number;

  @Transform(integer)
  @IsInt({ message: 'insights.threshold_invalid' })
  @Min(40, { message: 'insights.threshold_invalid' })
  @Max(140, { message: 'insights.threshold_invalid' })
  hedisDiastolic!: number;
}
