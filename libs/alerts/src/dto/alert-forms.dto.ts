import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, Matches, Max, MaxLength, Min } from 'class-validator';
import { BrowserForm, trimmed } from '@opendsp/i18n';
import { ALERT_RULES, ALERT_STATUSES, NOTE_MAX_LENGTH, type AlertRule, type AlertStatus } from '../alert-rules.catalogue.js';

/** An unticked checkbox is simply absent from the form. */
const ticked = ({ value }: { value: unknown }): boolean => value === 'on' || value === 'true' || value === true;
/** A whole number as typed; anything else stays as it is and fails `IsInt`. */
const whole = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\s*\d{1,6}\s*$/.test(value) ? Number(value) : value;
const emptyIsAbsent = ({ value }: { value: unknown }): unknown => (value === '' ? undefined : value);

/** The inbox's filters and page: `status` (open by default), a group's public ID, a rule, and the keyset cursor `after`. */
export class AlertInboxQuery extends BrowserForm {
  @Transform(({ value }) => (value === undefined || value === '' ? 'open' : value))
  @IsIn([...ALERT_STATUSES, 'all'])
  status: AlertStatus | 'all' = 'open';

  @Transform(emptyIsAbsent)
  @IsOptional()
  @Matches(/^[0-9A-Z]{12}$/)
  group?: string;

  @Transform(emptyIsAbsent)
  @IsOptional()
  @IsIn(ALERT_RULES)
  rule?: AlertRule;

  @Transform(emptyIsAbsent)
  @IsOptional()
  @MaxLength(100)
  @Matches(/^[0-9TZ:.~a-f-]+$/)
  after?: string;
}

/** Acknowledging an alert: the note staff leave on it (what was done, whom they called). */
export class AcknowledgeAlertForm extends BrowserForm {
  @Transform(trimmed)
  @IsNotEmpty({ message: 'alerts.note_required' })
  @MaxLength(NOTE_MAX_LENGTH, { message: 'form.too_long' })
  note!: string;
}

/** A group's alert rules as the settings page submits them. */
export class AlertRulesForm extends BrowserForm {
  @Transform(ticked)
  @IsBoolean()
  bpCrisisEnabled = false;

  @Transform(whole)
  @IsInt({ message: 'form.invalid' })
  @Min(100, { message: 'alerts.out_of_range' })
  @Max(300, { message: 'alerts.out_of_range' })
  systolicAtLeast!: number;

  @Transform(whole)
  @IsInt({ message: 'form.invalid' })
  @Min(60, { message: 'alerts.out_of_range' })
  @Max(200, { message: 'alerts.out_of_range' })
  diastolicAtLeast!: number;

  @Transform(ticked)
  @IsBoolean()
  afibEnabled = false;

  @Transform(ticked)
  @IsBoolean()
  noReadingEnabled = false;

  @Transform(whole)
  @IsInt({ message: 'form.invalid' })
  @Min(1, { message: 'alerts.out_of_range' })
  @Max(90, { message: 'alerts.out_of_range' })
  noReadingDays!: number;

  @Transform(whole)
  @IsInt({ message: 'form.invalid' })
  @Min(1, { message: 'alerts.out_of_range' })
  @Max(300, { message: 'alerts.out_of_range' })
  noReadingMinReadings!: number;

  @Transform(ticked)
  @IsBoolean()
  reconnectEnabled = false;
}
