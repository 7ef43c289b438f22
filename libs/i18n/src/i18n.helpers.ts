import type { Language } from '@opendsp/config';
import { cachedQuarterHour, zonedParts } from '@opendsp/time-zone';
import { en } from './messages/en.js';
import { ja } from './messages/ja.js';

/** A message key of the catalogues (the English catalogue is the reference; Japanese must have the same keys). */
export type MessageKey = keyof typeof en;

const CATALOGUES: Record<Language, Record<MessageKey, string>> = { en, ja };

/** The languages an admin can switch between, with their own names. */
export const LANGUAGE_CHOICES: { code: Language; name: string }[] = [
  { code: 'ja', name: '日本語' },
  { code: 'en', name: 'English' },
];

export function isLanguage(value: unknown): value is Language {
  return value === 'ja' || value === 'en';
}

export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

/**
 * The message `key` in `language`, with `{name}` placeholders filled from `params`. An unknown key comes back
 * as itself, so a typo shows up on the page instead of breaking it.
 */
export function translate(language: Language, key: string, params: Record<string, unknown> = {}): string {
  const template = isMessageKey(key) ? CATALOGUES[language][key] : key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}

/** Every key of a catalogue; for the completeness check. */
export function catalogueKeys(language: Language): string[] {
  return Object.keys(CATALOGUES[language]).sort();
}

const dateTimeFormatters = new Map<string, Intl.DateTimeFormat>();

/** Building a formatter costs ten times what using one does, and a table of readings formats hundreds of times. */
function dateTimeFormatter(language: Language, timeZone: string): Intl.DateTimeFormat {
  const key = `${language}|${timeZone}`;
  let formatter = dateTimeFormatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(language === 'ja' ? 'ja-JP' : 'en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    dateTimeFormatters.set(key, formatter);
  }
  return formatter;
}

const zoneNames = new Map<string, Map<number, string | null>>();

/** The zone's short name (`JST`, `GMT+9`, `EST`) as Intl writes it in the language, from the instant's quarter hour. */
function zoneName(date: Date, language: Language, timeZone: string): string {
  const formatter = dateTimeFormatter(language, timeZone);
  const named = (instant: Date) => formatter.formatToParts(instant).find((part) => part.type === 'timeZoneName')?.value ?? '';
  const key = `${language}|${timeZone}`;
  let table = zoneNames.get(key);
  if (!table) zoneNames.set(key, (table = new Map()));
  const name = cachedQuarterHour(table, date.getTime(), (first, last) => {
    const atFirst = named(first);
    return atFirst === named(last) ? atFirst : null;
  });
  return name ?? named(date);
}

const two = (value: number) => (value < 10 ? `0${value}` : String(value));

/**
 * A date and time in the environment's time zone, the same shape in both languages so columns line up:
 * `2026-11-23 19:00:05 GMT+9` (English) or `2026/11/23 19:00:05 JST` (Japanese). The fields come from the zone's
 * offset and the name from Intl, both kept per quarter hour (`@opendsp/time-zone`): a page of readings formats
 * hundreds of instants, and `formatToParts` for each was a few per cent of the participant page's CPU.
 */
export function formatDateTime(value: Date | string | null | undefined, language: Language, timeZone: string): string {
  if (value === null || value === undefined || value === '') return '';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  const p = zonedParts(date, timeZone);
  const separator = language === 'ja' ? '/' : '-';
  return `${p.year}${separator}${two(p.month)}${separator}${two(p.day)} ${two(p.hour)}:${two(p.minute)}:${two(p.second)} ${zoneName(date, language, timeZone)}`;
}
