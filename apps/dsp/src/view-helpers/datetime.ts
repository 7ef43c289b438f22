import type { HelperOptions } from 'handlebars';
import { formatDateTime } from '@opendsp/i18n';
import { langOf, timezoneOf } from './root.js';

/** `{{datetime group.createdAt}}`: a date and time in the environment's time zone. */
export function datetime(value: unknown, options: HelperOptions): string {
  return formatDateTime(value as Date | string | null, langOf(options), timezoneOf(options));
}
