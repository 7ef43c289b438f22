import { Expose, Transform } from 'class-transformer';
import { Allow } from 'class-validator';
import { BrowserForm } from '@opendsp/i18n';

/** A parameter given at most once, as text; null when it was repeated (or sent as anything but text). */
const single = ({ value }: { value: unknown }): string | null | undefined =>
  value === undefined ? undefined : typeof value === 'string' ? value : null;

/**
 * A consent link's query (`/consent/start?group_id=…&redirect_url=…[&custom_params=…][&state=…]`), through the
 * global ValidationPipe. Each parameter is typed here; what it must be (a registered redirect URL, a group
 * that takes consent, Rison `custom_params`) is ConsentLinkService's check, which answers the participant's
 * error page with the problem named, so nothing here refuses a request.
 */
export class ConsentStartQuery extends BrowserForm {
  @Expose({ name: 'group_id' })
  @Transform(single)
  @Allow()
  groupId?: string | null;

  @Expose({ name: 'redirect_url' })
  @Transform(single)
  @Allow()
  redirectUrl?: string | null;

  @Transform(single)
  @Allow()
  state?: string | null;

  @Expose({ name: 'custom_params' })
  @Transform(single)
  @Allow()
  customParams?: string | null;
}
