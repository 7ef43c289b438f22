import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsBoolean, IsIn, IsNotEmpty, Matches, MaxLength } from 'class-validator';
import { BrowserForm, trimmed } from '@opendsp/i18n';

export class GroupForm extends BrowserForm {
  /** Shown to participants on the consent screen as the recipient of their data. */
  @Transform(trimmed)
  @MaxLength(200, { message: 'form.too_long' })
  @IsNotEmpty({ message: 'form.required' })
  displayName!: string;

  @Transform(trimmed)
  @MaxLength(2000, { message: 'form.too_long' })
  description: string = '';

  /** Origins a consent link's back_url may lead to, one per line (or comma-separated): `https://host[:port]`. */
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? [
          ...new Set(
            value
              .split(/[\s,]+/)
              .filter(Boolean)
              .map((origin) => origin.replace(/\/+$/, '')),
          ),
        ]
      : value,
  )
  @ArrayMaxSize(20, { message: 'form.too_long' })
  @Matches(/^https?:\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i, { each: true, message: 'groups.back_link_origin_invalid' })
  backLinkOrigins: string[] = [];

  /** The data types its consents ask for (checkboxes); none ticked, or all of the region's: no narrowing. */
  @Transform(({ value }: { value: unknown }) => (value === undefined || value === '' ? [] : Array.isArray(value) ? value : [value]))
  @IsIn(['bloodpressure', 'activity', 'weight', 'temperature', 'oxygen'], { each: true, message: 'form.invalid' })
  dataTypes: string[] = [];
}

export class RedirectUrlForm extends BrowserForm {
  @Transform(trimmed)
  @IsNotEmpty({ message: 'form.required' })
  url!: string;

  /** An unticked checkbox is simply absent from the form. */
  @Transform(({ value }: { value: unknown }) => value === 'on' || value === 'true' || value === true)
  @IsBoolean()
  makeDefault: boolean = false;
}
