import { Transform } from 'class-transformer';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { BrowserForm, trimmed } from '@opendsp/i18n';

const asString = ({ value }: { value: unknown }): string => (typeof value === 'string' ? value : '');

export class SignInForm extends BrowserForm {
  @Transform(trimmed)
  @MaxLength(200, { message: 'form.too_long' })
  @IsNotEmpty({ message: 'form.required' })
  loginId!: string;

  @Transform(asString)
  @MaxLength(1024, { message: 'form.too_long' })
  @IsNotEmpty({ message: 'form.required' })
  password!: string;
}

export class SecondFactorForm extends BrowserForm {
  @Transform(trimmed)
  @IsNotEmpty({ message: 'form.required' })
  @MaxLength(20, { message: 'form.too_long' })
  code!: string;
}

export class NewPasswordForm extends BrowserForm {
  @Transform(asString)
  @IsNotEmpty({ message: 'form.required' })
  password!: string;

  @Transform(asString)
  @IsString()
  confirmation!: string;
}

export class ChangePasswordForm extends NewPasswordForm {
  @Transform(asString)
  @IsNotEmpty({ message: 'form.required' })
  current!: string;
}

export class ResetRequestForm extends BrowserForm {
  @Transform(trimmed)
  @MaxLength(200, { message: 'form.too_long' })
  @IsNotEmpty({ message: 'form.required' })
  loginId!: string;
}

export class LanguageForm extends BrowserForm {
  @IsIn(['ja', 'en'], { message: 'form.invalid' })
  lang!: 'ja' | 'en';

  /** The page to go back to; the handler keeps it to its own pages (anything else, or none, is its start page). */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value : undefined))
  returnTo?: string;
}

export class EnableTotpForm extends BrowserForm {
  @Transform(trimmed)
  @IsNotEmpty({ message: 'form.required' })
  secret!: string;

  /** The admin's password: a session left open is not enough to bind a new authenticator. */
  @Transform(asString)
  @IsNotEmpty({ message: 'form.required' })
  current!: string;

  /** When TOTP is on already (replacing the authenticator), a code from the current one. */
  @IsOptional()
  @Transform(trimmed)
  @MaxLength(20, { message: 'form.too_long' })
  currentCode?: string;

  @Transform(trimmed)
  @IsNotEmpty({ message: 'form.required' })
  @MaxLength(20, { message: 'form.too_long' })
  code!: string;
}

export class DisableTotpForm extends BrowserForm {
  @Transform(asString)
  @IsNotEmpty({ message: 'form.required' })
  current!: string;
}
