import { Transform } from 'class-transformer';
import { Matches } from 'class-validator';
import { BrowserForm, trimmed } from '@opendsp/i18n';

/** The readiness checklist's form: the day of the last `pg_dump` (YYYY-MM-DD, from a date input). */
export class RecordBackupForm extends BrowserForm {
  @Transform(trimmed)
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'readiness.backup.day_invalid' })
  day!: string;
}
