import type { HelperOptions } from 'handlebars';
import { translate } from '@opendsp/i18n';
import { langOf } from './root.js';

/** `{{t "groups.title"}}`, `{{t "pagination.count" count=3}}`: a catalogue message in the page's language. */
export function t(this: unknown, key: unknown, options: HelperOptions): string {
  return translate(langOf(options), String(key ?? ''), options.hash as Record<string, unknown>);
}
