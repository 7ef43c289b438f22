import { Transform } from 'class-transformer';
import { IsEmail, IsIn, Matches, MaxLength, MinLength } from 'class-validator';
import { ADMIN_ROLES, type AdminRole } from '@opendsp/admin-auth';
import { BrowserForm, trimmed } from '@opendsp/i18n';

/** The invitation form; login IDs follow the rule of DSP_PARTNER_ADMIN_ID. */
export class InviteAdminForm extends BrowserForm {
  @Transform(trimmed)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$/, { message: 'admins.login_id_invalid' })
  loginId!: string;

  @Transform(trimmed)
  @MaxLength(200, { message: 'form.too_long' })
  @MinLength(1, { message: 'form.required' })
  displayName!: string;

  @Transform(trimmed)
  @MaxLength(320, { message: 'form.too_long' })
  @IsEmail({}, { message: 'admins.email_invalid' })
  email!: string;

  @IsIn(ADMIN_ROLES, { message: 'admins.role_invalid' })
  role!: AdminRole;

  /** Public group IDs; only for group admins. */
  @Transform(({ value }: { value: unknown }) =>
    (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((item): item is string => typeof item === 'string'),
  )
  @Matches(/^[0-9A-Z]{12}$/, { each: true, message: 'form.invalid' })
  groupIds: string[] = [];
}
