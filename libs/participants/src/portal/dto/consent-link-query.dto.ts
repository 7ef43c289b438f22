import { Expose, Transform } from 'class-transformer';
import { Allow } from 'class-validator';
import { BrowserForm } from '@opendsp/i18n';

/** A single parameter, trimmed; anything else (absent, repeated) counts as absent, as an empty one does. */
const single = ({ value }: { value: unknown }): string => (typeof value === 'string' ? value.trim() : '');
/** A count the page's own redirect put in the URL; anything else is 0. */
const count = ({ value }: { value: unknown }): number => Number(value) || 0;

/**
 * The consent link page's query (and its QR codes'), through the global ValidationPipe: `redirect_url` (one of
 * the group's; absent: the group's default) and `custom_params`. ConsentLinks checks both against the group and
 * the page answers 422 with the field's message when one is refused, so a bad value is never a 400 here.
 * `notice` and the counts come from the page's own redirect after sending invitations.
 */
export class ConsentLinkQuery extends BrowserForm {
  @Expose({ name: 'redirect_url' })
  @Transform(single)
  @Allow()
  redirectUrl: string = '';

  @Expose({ name: 'custom_params' })
  @Transform(single)
  @Allow()
  customParams: string = '';

  @Transform(single)
  @Allow()
  notice: string = '';

  @Transform(count)
  @Allow()
  sent: number = 0;

  @Transform(count)
  @Allow()
  skipped: number = 0;

  @Transform(count)
  @Allow()
  failed: number = 0;
}
