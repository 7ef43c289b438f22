import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayNotEmpty, IsIn, IsUrl, Matches, MaxLength } from 'class-validator';
import { BrowserForm, trimmed } from '@opendsp/i18n';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../webhook-events.catalogue.js';

/** A submitted field that may be repeated (checkboxes) as a list of strings. */
const list = ({ value }: { value: unknown }): string[] =>
  (Array.isArray(value) ? value : value === undefined || value === null || value === '' ? [] : [value]).filter(
    (item): item is string => typeof item === 'string',
  );

/** The portal's form for a new webhook endpoint. */
export class WebhookEndpointForm extends BrowserForm {
  @Transform(trimmed)
  @MaxLength(2000, { message: 'form.too_long' })
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'webhooks.url_invalid' })
  url!: string;

  @Transform(trimmed)
  @MaxLength(200, { message: 'form.too_long' })
  description = '';

  @Transform(list)
  @ArrayNotEmpty({ message: 'webhooks.event_types_required' })
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true, message: 'form.invalid' })
  eventTypes: WebhookEventType[] = [];

  @Transform(list)
  @ArrayNotEmpty({ message: 'webhooks.groups_required' })
  @ArrayMaxSize(1000, { message: 'form.invalid' })
  @Matches(/^[0-9A-Z]{12}$/, { each: true, message: 'form.invalid' })
  groupIds: string[] = [];
}
