import { addDays, parseDay, zonedDay, zonedDayStart, zonedInstant } from '@opendsp/time-zone';

export type ChartLanguage = 'ja' | 'en';

export interface TimeTick {
  at: Date;
  label: string;
}

const labelFormatters = new Map<string, Intl.DateTimeFormat>();

/** A cached formatter for axis labels and tooltips in a language and zone. */
export function labelFormatter(lang: ChartLanguage, timeZone: string, kind: 'day' | 'month' | 'year-month' | 'time'): Intl.DateTimeFormat {
  const key = `${lang}|${timeZone}|${kind}`;
  let formatter = labelFormatters.get(key);
  if (!formatter) {
    const locale = lang === 'ja' ? 'ja-JP' : 'en-US';
    const options: Record<typeof kind, Intl.DateTimeFormatOptions> = {
      day: lang === 'ja' ? { month: 'numeric', day: 'numeric' } : { month: 'short', day: 'numeric' },
      month: lang === 'ja' ? { month: 'long' } : { month: 'short' },
      'year-month': lang === 'ja' ? { year: 'numeric', month: 'long' } : { year: 'numeric', month: 'short' },
      time: { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
    };
    formatter = new Intl.DateTimeFormat(locale, { timeZone, ...options[kind] });
    labelFormatters.set(key, formatter);
  }
  return formatter;
}

/** Ticks already worked out, by period, zone and language: a participant page draws up to eight charts of one period. */
const tickCache = new Map<string, readonly TimeTick[]>();
const TICK_CACHE_SIZE = 500;

/**
 * Ticks for a time axis from `from` to `to`, at midnights (or month starts, or hours) of the given zone,
 * so the grid lines fall where the reader's calendar turns. The same period gives the same ticks, so they are
 * kept (a bounded cache, emptied when full): each costs a few dozen time-zone conversions.
 */
export function timeTicks(from: Date, to: Date, timeZone: string, lang: ChartLanguage): TimeTick[] {
  const key = `${from.getTime()}|${to.getTime()}|${timeZone}|${lang}`;
  let ticks = tickCache.get(key);
  if (!ticks) {
    if (tickCache.size >= TICK_CACHE_SIZE) tickCache.clear();
    tickCache.set(key, (ticks = computeTicks(from, to, timeZone, lang)));
  }
  return ticks.map((tick) => ({ at: new Date(tick.at), label: tick.label }));
}

function computeTicks(from: Date, to: Date, timeZone: string, lang: ChartLanguage): TimeTick[] {
  const spanDays = (to.getTime() - from.getTime()) / 86_400_000;
  const inside = (at: Date) => at.getTime() >= from.getTime() && at.getTime() <= to.getTime();
  const ticks: TimeTick[] = [];
  const firstDay = zonedDay(from, timeZone);
  const lastDay = zonedDay(to, timeZone);

  if (spanDays <= 2) {
    for (let day = firstDay; day <= lastDay; day = addDays(day, 1)) {
      const [year, month, date] = parseDay(day)!;
      for (let hour = 0; hour < 24; hour += 3) {
        const at = zonedInstant(year, month, date, hour, timeZone);
        if (inside(at)) ticks.push({ at, label: labelFormatter(lang, timeZone, hour === 0 ? 'day' : 'time').format(at) });
      }
    }
    return ticks;
  }
  if (spanDays <= 100) {
    const step = spanDays <= 16 ? 1 : spanDays <= 35 ? 7 : 14;
    for (let day = firstDay, index = 0; day <= lastDay; day = addDays(day, 1), index++) {
      if (index % step !== 0) continue;
      const at = zonedDayStart(day, timeZone);
      if (inside(at)) ticks.push({ at, label: labelFormatter(lang, timeZone, 'day').format(at) });
    }
    return ticks;
  }
  const monthStep = spanDays <= 800 ? 1 : 12;
  let [year, month] = parseDay(firstDay)!;
  for (let guard = 0; guard < 400; guard++) {
    const at = zonedInstant(year, month, 1, 0, timeZone);
    if (at.getTime() > to.getTime()) break;
    if (inside(at) && (monthStep === 1 || month === 1)) {
      const kind = month === 1 || ticks.length === 0 ? 'year-month' : 'month';
      ticks.push({ at, label: labelFormatter(lang, timeZone, kind).format(at) });
    }
    month += 1;
    if (month > 12) [year, month] = [year + 1, 1];
  }
  return ticks;
}
