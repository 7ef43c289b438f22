import { Transform, Type } from 'class-transformer';
import { ArrayNotEmpty, IsArray, IsIn, IsInt, IsNotEmpty, IsString, MaxLength, ValidateIf } from 'class-validator';
import { BrowserForm, trimmed } from '@opendsp/i18n';
import { API_SCOPE_NAMES, type ApiScope } from '../../api-scopes.catalogue.js';

/** A checkbox group arrives as nothing, one string or several: always a list here. */
const list = ({ value }: { value: unknown }): unknown[] => (value === undefined || value === '' ? [] : ([] as unknown[]).concat(value));

export class ApiClientForm extends BrowserForm {
  @Transform(trimmed)
  @MaxLength(100, { message: 'form.too_long' })
  @IsNotEmpty({ message: 'form.required' })
  name!: string;

  @Transform(list)
  @IsIn(API_SCOPE_NAMES, { each: true, message: 'form.invalid' })
  @ArrayNotEmpty({ message: 'api_clients.scopes_required' })
  @IsArray({ message: 'form.invalid' })
  scopes: ApiScope[] = [];

  /** `all` groups (also those created later) or `some`: the ones in `groupIds`. */
  @IsIn(['all', 'some'], { message: 'form.invalid' })
  groupAccess: 'all' | 'some' = 'all';

  @Transform(list)
  @ValidateIf((form: ApiClientForm) => form.groupAccess === 'some')
  @IsString({ each: true, message: 'form.invalid' })
  @ArrayNotEmpty({ message: 'api_clients.groups_required' })
  @IsArray({ message: 'form.invalid' })
  groupIds: string[] = [];
}

export const OVERLAP_HOURS = [0, 1, 24, 168] as const;

export class RotateSecretForm extends BrowserForm {
  @Type(() => Number)
  @IsIn(OVERLAP_HOURS, { message: 'form.invalid' })
  @IsInt({ message: 'form.invalid' })
  overlapHours: number = 24;
}
