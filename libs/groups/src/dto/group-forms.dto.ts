import { Transform } from 'class-transformer';
import { IsBoolean, IsNotEmpty, MaxLength } from 'class-validator';
import { trimmed } from '@opendsp/i18n';

export class GroupForm {
  /** Shown to participants on the consent screen as the recipient of their data. */
  @Transform(trimmed)
  @MaxLength(200, { message: 'form.too_long' })
  @IsNotEmpty({ message: 'form.required' })
  displayName!: string;

  @Transform(trimmed)
  @MaxLength(2000, { message: 'form.too_long' })
  description: string = '';
}

export class RedirectUrlForm {
  @Transform(trimmed)
  @IsNotEmpty({ message: 'form.required' })
  url!: string;

  /** An unticked checkbox is simply absent from the form. */
  @Transform(({ value }: { value: unknown }) => value === 'on' || value === 'true' || value === true)
  @IsBoolean()
  makeDefault: boolean = false;
}
