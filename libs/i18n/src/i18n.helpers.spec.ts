import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { catalogueKeys, formatDateTime, translate } from './i18n.helpers.js';

// The portal's templates: the app's own, and those the rooms ship beside their controllers.
const VIEWS = [fileURLToPath(new URL('../../../apps/dsp/src/views', import.meta.url)), fileURLToPath(new URL('../../', import.meta.url))];

function templates(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? templates(path) : path.endsWith('.hbs') ? [path] : [];
  });
}

describe('message catalogues', () => {
  it('have the same keys in Japanese and English', () => {
    expect(catalogueKeys('ja')).toEqual(catalogueKeys('en'));
  });

  it('have every key the portal templates ask for', () => {
    const used = VIEWS.flatMap(templates).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/\{\{t "([^"]+)"/g)].map((match) => match[1]),
    );
    expect(used.length).toBeGreaterThan(100);
    expect(used.filter((key) => !catalogueKeys('en').includes(key))).toEqual([]);
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(translate('en', 'dashboard.groups', { count: 3 })).toBe('3 active groups');
    expect(translate('ja', 'dashboard.groups', { count: 3 })).toBe('有効なグループ 3 件');
    expect(translate('en', 'dashboard.groups')).toBe('{count} active groups');
    expect(translate('en', 'no.such.key')).toBe('no.such.key');
  });

  it('formats times in the given time zone', () => {
    const instant = new Date('2026-11-23T10:00:05Z');
    expect(formatDateTime(instant, 'ja', 'Asia/Tokyo')).toBe('2026/11/23 19:00:05 JST');
    expect(formatDateTime(instant, 'en', 'America/New_York')).toBe('2026-11-23 05:00:05 EST');
    expect(formatDateTime(instant, 'en', 'UTC')).toBe('2026-11-23 10:00:05 UTC');
    expect(formatDateTime(null, 'en', 'UTC')).toBe('');
    expect(formatDateTime('not a date', 'en', 'UTC')).toBe('');
  });

  it('writes the zone name in force at the instant, on both sides of a daylight saving change', () => {
    // New York falls back at 06:00 UTC on 2026-11-01: 01:59:59 EDT, then 01:00:00 EST.
    expect(formatDateTime(new Date('2026-11-01T05:59:59.999Z'), 'en', 'America/New_York')).toBe('2026-11-01 01:59:59 EDT');
    expect(formatDateTime(new Date('2026-11-01T06:00:00Z'), 'en', 'America/New_York')).toBe('2026-11-01 01:00:00 EST');
    expect(formatDateTime(new Date('2026-03-08T07:00:00Z'), 'ja', 'America/New_York')).toBe('2026/03/08 03:00:00 GMT-4');
    expect(formatDateTime(new Date('2026-06-01T00:00:00Z'), 'en', 'Asia/Kathmandu')).toBe('2026-06-01 05:45:00 GMT+5:45');
  });
});
