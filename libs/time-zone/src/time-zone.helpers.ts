/**
 * Calendar arithmetic in a named time zone (the environment's, from DspConfig) with nothing but Intl:
 * which day an instant falls on there, which instant a day starts at, the zone's offset. The portal's charts
 * and periods, the audit log's and the exports' day filters, the exports' file names and the sandbox's
 * reading times all use it. Formatters are cached, since building an Intl.DateTimeFormat costs about ten
 * times as much as using one.
 */
const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = partsFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
    });
    partsFormatters.set(timeZone, formatter);
  }
  return formatter;
}

export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock fields of an instant in a time zone, read from Intl (see `zonedParts` for the cached way). */
function formattedParts(instant: Date, timeZone: string): ZonedParts {
  const parts: Record<string, number> = {};
  for (const part of partsFormatter(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute, second: parts.second };
}

/** The zone's offset from UTC at an instant, in milliseconds, from Intl. */
function formattedOffset(instant: Date, timeZone: string): number {
  const p = formattedParts(instant, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * Every zone's offset since the 1970s is a whole number of quarter hours and changes on a quarter hour, so one
 * offset holds for a whole quarter hour of instants. A table of readings formats hundreds of instants, and Intl's
 * `formatToParts` costs microseconds a call; this keeps the offset of each quarter hour met, per zone.
 */
const QUARTER_HOUR_MS = 15 * 60_000;
/** At most this many quarter hours per zone (about a year of them); then the zone's table starts over. */
const KEPT_QUARTER_HOURS = 40_000;
const offsets = new Map<string, Map<number, number | null>>();

/**
 * The offset in force for the whole quarter hour holding `time`, or null when it changes within it (an older
 * zone's odd offsets): the same check of the quarter hour's first and last millisecond that `zonedParts` and the
 * i18n formatter rely on.
 */
export function cachedQuarterHour<T>(table: Map<number, T | null>, time: number, compute: (first: Date, last: Date) => T | null): T | null {
  const quarter = Math.floor(time / QUARTER_HOUR_MS);
  let entry = table.get(quarter);
  if (entry === undefined) {
    if (table.size >= KEPT_QUARTER_HOURS) table.clear();
    const first = quarter * QUARTER_HOUR_MS;
    entry = compute(new Date(first), new Date(first + QUARTER_HOUR_MS - 1));
    table.set(quarter, entry);
  }
  return entry;
}

function offsetAt(instant: Date, timeZone: string): number {
  const time = instant.getTime();
  if (!Number.isFinite(time)) return formattedOffset(instant, timeZone);
  let table = offsets.get(timeZone);
  if (!table) offsets.set(timeZone, (table = new Map()));
  const offset = cachedQuarterHour(table, time, (first, last) => {
    const atFirst = formattedOffset(first, timeZone);
    return atFirst === formattedOffset(last, timeZone) && atFirst % QUARTER_HOUR_MS === 0 ? atFirst : null;
  });
  return offset ?? formattedOffset(instant, timeZone);
}

/** The wall-clock fields of an instant in a time zone. */
export function zonedParts(instant: Date, timeZone: string): ZonedParts {
  const time = instant.getTime();
  if (!Number.isFinite(time)) return formattedParts(instant, timeZone);
  // The UTC fields of the instant moved by the zone's offset are the zone's wall clock.
  const wall = new Date(time + offsetAt(instant, timeZone));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
  };
}

/** A `YYYY-MM-DD` day as [year, month, day], or null when it is not a real date. */
export function parseDay(value: string): [number, number, number] | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const check = new Date(Date.UTC(year, month - 1, day));
  return check.getUTCFullYear() === year && check.getUTCMonth() === month - 1 && check.getUTCDate() === day ? [year, month, day] : null;
}

/** The zone's offset from UTC at an instant, in seconds east of UTC (32400 for Asia/Tokyo), daylight saving included. */
export function zoneOffsetSeconds(instant: Date, timeZone: string): number {
  return offsetAt(instant, timeZone) / 1000;
}

/**
 * The instant a zone's clocks show a wall-clock time, given as the UTC instant with the same fields (the
 * later one when clocks go back, the shifted one when they skip).
 */
export function wallClockInstant(wallClock: Date, timeZone: string): Date {
  const wall = wallClock.getTime();
  // Two rounds settle on the offset in force at the result, also across a DST change.
  let instant = wall - offsetAt(new Date(wall), timeZone);
  instant = wall - offsetAt(new Date(instant), timeZone);
  return new Date(instant);
}

/** The instant an hour of a day happens in a zone (see `wallClockInstant`). */
export function zonedInstant(year: number, month: number, day: number, hour: number, timeZone: string): Date {
  return wallClockInstant(new Date(Date.UTC(year, month - 1, day, hour)), timeZone);
}

/** The day (`YYYY-MM-DD`) an instant falls on in a zone. */
export function zonedDay(instant: Date, timeZone: string): string {
  const p = zonedParts(instant, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** The instant a `YYYY-MM-DD` day starts in a zone. */
export function zonedDayStart(day: string, timeZone: string): Date {
  const parsed = parseDay(day);
  if (!parsed) throw new RangeError(`not a day: ${day}`);
  return zonedInstant(parsed[0], parsed[1], parsed[2], 0, timeZone);
}

/** The instant a `YYYY-MM-DD` day typed into a form starts in a zone, or undefined when it is not a real day. */
export function startOfDayIn(day: string, timeZone: string): Date | undefined {
  return parseDay(day) ? zonedDayStart(day, timeZone) : undefined;
}

/** `day` moved by `days` calendar days (`2026-03-01` − 1 → `2026-02-28`). */
export function addDays(day: string, days: number): string {
  const parsed = parseDay(day);
  if (!parsed) throw new RangeError(`not a day: ${day}`);
  return new Date(Date.UTC(parsed[0], parsed[1] - 1, parsed[2] + days)).toISOString().slice(0, 10);
}

/** Every day from `first` to `last`, both included. */
export function daysBetween(first: string, last: string): string[] {
  const days: string[] = [];
  for (let day = first; day <= last && days.length < 4000; day = addDays(day, 1)) days.push(day);
  return days;
}
