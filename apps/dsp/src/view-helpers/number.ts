import type { HelperOptions } from 'handlebars';
import { langOf } from './root.js';

const formatters = new Map<string, Intl.NumberFormat>();

/** `{{number figures.invited}}`, `{{number row.weightKg digits=1}}`: a number in the page's language; empty for null. */
export function number(value: unknown, options: HelperOptions): string {
  if (value === null || value === undefined || value === '' || Number.isNaN(Number(value))) return '';
  const digits = typeof options.hash?.digits === 'number' ? options.hash.digits : undefined;
  const key = `${langOf(options)}|${digits ?? ''}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.NumberFormat(langOf(options) === 'ja' ? 'ja-JP' : 'en-US', {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits ?? 2,
    });
    formatters.set(key, formatter);
  }
  return formatter.format(Number(value));
}
