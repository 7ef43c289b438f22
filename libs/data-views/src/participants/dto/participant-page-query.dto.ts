import { Transform } from 'class-transformer';
import {
  Allow,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  Validate,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { BrowserForm } from '@opendsp/i18n';
import { parseDay } from '@opendsp/time-zone';

/** The periods the participant page offers, in days. */
export const WINDOW_DAYS = [7, 30, 90, 365] as const;

/** An empty parameter is an absent one; a repeated one stays a list, which no field accepts. */
const emptyIsAbsent = ({ value }: { value: unknown }): unknown => (value === '' ? undefined : value);

/** A real calendar day, `YYYY-MM-DD` (not 2026-02-30). */
@ValidatorConstraint({ name: 'calendarDay' })
class CalendarDay implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && parseDay(value) !== null;
  }
}

/**
 * The participant page's query, through the global ValidationPipe: `days` (7, 30, 90 or 365; 30 by default)
 * ending on `end` (a day of the environment's time zone; today by default, at most tomorrow: the page's
 * service checks that, as it knows today), the activity `day` whose hours are shown, the `ecg` recording whose
 * waveform is shown, and a `notice` from "sync now". Anything else is a 400.
 */
export class ParticipantPageQuery extends BrowserForm {
  @Transform(({ value }) => (value === undefined || value === '' ? 30 : typeof value === 'string' ? Number(value) : value))
  @IsIn(WINDOW_DAYS)
  days: number = 30;

  @Transform(emptyIsAbsent)
  @IsOptional()
  @Validate(CalendarDay)
  end?: string;

  @Transform(emptyIsAbsent)
  @IsOptional()
  @Validate(CalendarDay)
  day?: string;

  @Transform(emptyIsAbsent)
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,19}$/)
  ecg?: string;

  /** Shown only when it is one of the controller's notices; anything else is ignored, as before. */
  @Transform(({ value }) => (typeof value === 'string' ? value : undefined))
  @Allow()
  notice?: string;
}
