import type { HelperOptions } from 'handlebars';
import type { Language } from '@opendsp/config';
import { isLanguage } from '@opendsp/i18n';

/** The page language from the render context (set for every request by the session middleware). */
export function langOf(options: HelperOptions): Language {
  const root = (options.data as { root?: { lang?: unknown } } | undefined)?.root;
  return isLanguage(root?.lang) ? root.lang : 'en';
}

/** The environment's time zone from the render context. */
export function timezoneOf(options: HelperOptions): string {
  const root = (options.data as { root?: { timezone?: unknown } } | undefined)?.root;
  return typeof root?.timezone === 'string' ? root.timezone : 'UTC';
}
