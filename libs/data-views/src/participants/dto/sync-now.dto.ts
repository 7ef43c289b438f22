import { IsIn, IsOptional } from 'class-validator';
import { MEASUREMENT_KIND_NAMES, type MeasurementKind } from '@opendsp/measurements';
import { BrowserForm } from '@opendsp/i18n';

/** "Sync now": one kind, or every kind the participant granted when empty. Anything else is a bad request. */
export class SyncNowForm extends BrowserForm {
  @IsOptional()
  @IsIn(['', ...MEASUREMENT_KIND_NAMES])
  kind?: MeasurementKind | '';
}
