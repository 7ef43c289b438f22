import { Transform } from 'class-transformer';
import { Allow, IsIn, IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { LANGUAGES, type Language } from '@opendsp/config';
import { BrowserForm, trimmed } from '@opendsp/i18n';

/** How many accounts the one-by-one form may create in one go (the CSV upload takes up to 1,000). */
export const MAX_FORM_ACCOUNTS = 100;

/** Create participants from the form: one with an optional customer ID, or several without. */
export class ProvisionForm extends BrowserForm {
  @Transform(trimmed)
  @MaxLength(100, { message: 'participants.customer_id_too_long' })
  internalCustomerId: string = '';

  @Transform(({ value }: { value: unknown }) =>
    value === undefined || value === '' ? 1 : /^\d+$/.test(String(value)) ? Number(value) : NaN,
  )
  @Min(1, { message: 'participants.count_invalid' })
  @Max(MAX_FORM_ACCOUNTS, { message: 'participants.count_invalid' })
  @IsInt({ message: 'participants.count_invalid' })
  count: number = 1;
}

/** A participant's internal customer ID; InternalCustomerIds checks and normalises it (its rule, its messages). */
export class CustomerIdForm extends BrowserForm {
  @Allow()
  internalCustomerId: unknown = '';
}

/** Which consent link: a redirect URL of the group (default: its default one) and optional custom_params. */
export class ConsentLinkQuery extends BrowserForm {
  @Transform(trimmed)
  @MaxLength(2000, { message: 'form.too_long' })
  @IsString()
  redirectUrl: string = '';

  // Length and content are checked by parseCustomParams, which names the problem.
  @Transform(trimmed)
  @IsString()
  customParams: string = '';
}

export class InvitationForm extends ConsentLinkQuery {
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value : ''))
  @MaxLength(20_000, { message: 'form.too_long' })
  recipients: string = '';

  @IsIn(LANGUAGES, { message: 'form.invalid' })
  language: Language = 'ja';
}
