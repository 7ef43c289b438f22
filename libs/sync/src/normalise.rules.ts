import {
  ACTIVITY_HOUR_COLUMNS,
  MEASUREMENT_KIND_NAMES,
  MEASUREMENT_KINDS,
  omronReadOf,
  READING_CATALOGUE,
  type MeasurementKind,
  type OmronRead,
} from '@opendsp/measurements';

/**
 * Turns the Partner API's measurement entries (`../shared/spec/omron-partner-api-us.txt`, "Understanding the
 * Response") into rows of the typed reading tables, column for column as `READING_CATALOGUE` describes them
 * (each value column's OMRON field and how it is read, `OmronRead`). Pure functions: no I/O.
 *
 * - Every reading keeps OMRON's `id`, the UTC instant (`dateTime`), the local wall-clock time
 *   (`dateTimeLocal`) and the offset in seconds, from either form the spec shows ("+00:00", "-21600").
 * - Blood pressure: a 0 for systolic, diastolic or pulse is what OMRON sends for possible-AFib readings
 *   instead of values; it is stored as null, never as a reading of 0, and `possibleAfib` is kept as a flag.
 * - A number may come as a JSON number or a decimal string, and text as a number, wherever the spec shows
 *   either (issue 15); "-1.0" means "not measured" and becomes null. Steps, aerobic steps and calories, stored in
 *   integer columns, are rounded when OMRON sends a fraction; a day's fraction is kept in its `*_original` column. Unknown fields are
 *   ignored; the optional ones (pulse, deviceType, idExt, body composition, hourly data) become null when missing.
 * - Weight in lb, temperature in °F and distance in miles are converted to kg, °C and km; the value as sent
 *   and its unit are kept beside the converted one.
 *
 * Anything else that does not fit (a missing field, an unknown unit, a malformed date) throws
 * {@link MeasurementFormatError}: a reading is never stored half-understood.
 */

/** An upstream entry the platform cannot read; permanent (retrying the same answer gives the same entry). */
export class MeasurementFormatError extends Error {
  override name = 'MeasurementFormatError';
  constructor(
    readonly kind: MeasurementKind,
    readonly upstreamId: unknown,
    message: string,
  ) {
    super(`${kind} reading ${String(upstreamId)}: ${message}`);
  }
}

/** Columns every reading table has (minus participant, change_seq and timestamps, which the writer adds). */
export interface ReadingRowBase {
  upstream_id: string;
  /** ISO 8601 UTC. */
  measured_at: string;
  /** `YYYY-MM-DDTHH:mm:ss` */
  local_time: string;
  utc_offset_seconds: number;
  device_type: string;
}

/** One hour of a day: the values of the catalogue's `ACTIVITY_HOUR_COLUMNS`, in order. */
export type HourlyRow = number[];

/** A normalised reading: the columns every table has, then the kind's value columns of `READING_CATALOGUE`, by SQL name. */
export interface ReadingRow extends ReadingRowBase {
  [column: string]: unknown;
}

/** An activity day also brings its hours. */
export interface ActivityRow extends ReadingRow {
  /** Ordered by hour; null when the answer carried no hourly data (stored hours are then left alone). */
  hourly: HourlyRow[] | null;
}

const MAX_OFFSET_SECONDS = 18 * 3600;

/**
 * `dateTimeUtcOffset` in seconds east of UTC. The spec shows both `"+00:00"` (hours and minutes, with a
 * colon) and `"-21600"` (seconds); a bare number is seconds too. A four-digit form without a colon would be
 * ambiguous (`"-0600"`: six hours, or 600 seconds?) and is refused rather than guessed.
 */
export function parseUtcOffset(value: unknown): number | null {
  let seconds: number | null = null;
  if (typeof value === 'number' && Number.isInteger(value)) seconds = value;
  else if (typeof value === 'string') {
    const text = value.trim();
    const hhmm = /^([+-])(\d{1,2}):(\d{2})$/.exec(text);
    if (text === 'Z') seconds = 0;
    else if (hhmm) {
      if (Number(hhmm[3]) > 59) return null;
      seconds = (hhmm[1] === '-' ? -1 : 1) * (Number(hhmm[2]) * 3600 + Number(hhmm[3]) * 60);
    } else if (/^[+-]?\d{1,5}$/.test(text) && !/^[+-]\d{4}$/.test(text)) seconds = Number(text);
  }
  return seconds !== null && Math.abs(seconds) <= MAX_OFFSET_SECONDS ? seconds + 0 : null;
}

const DATE_TIME = /^\s*(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?Z?\s*$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * `YYYY-MM-DDTHH:mm:ss` (a fraction is dropped), checked to be a real calendar time; null otherwise. `iso` is the
 * same time read as UTC in ISO 8601 form. Checked with arithmetic, not through `Date`: it runs twice for every
 * reading, and building and formatting Dates was the largest part of normalising a page.
 */
export function parseApiDateTime(value: unknown): { text: string; iso: string } | null {
  if (typeof value !== 'string') return null;
  const match = DATE_TIME.exec(value);
  if (!match) return null;
  const [, year, month, day, hour, minute, second] = match;
  const m = Number(month);
  const y = Number(year);
  const leap = m === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = m >= 1 && m <= 12 ? DAYS_IN_MONTH[m - 1] + (leap ? 1 : 0) : 0;
  const d = Number(day);
  if (d < 1 || d > days || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return null;
  const text = `${year}-${month}-${day}T${hour}:${minute}:${second}`;
  return { text, iso: `${text}.000Z` };
}

class EntryReader {
  constructor(
    readonly kind: MeasurementKind,
    readonly entry: Record<string, unknown>,
  ) {}

  fail(message: string): never {
    throw new MeasurementFormatError(this.kind, this.entry.id, message);
  }

  /** A number sent as a JSON number or a decimal string. */
  number(field: string, source: Record<string, unknown> = this.entry): number {
    const value = source[field];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value.trim());
    return this.fail(`${field} is not a number: ${JSON.stringify(value)}`);
  }

  integer(field: string, source?: Record<string, unknown>): number {
    const value = this.number(field, source);
    return Number.isInteger(value) ? value : this.fail(`${field} is not a whole number: ${value}`);
  }

  /**
   * A count stored in an integer column (steps, aerobic steps, calories): OMRON may send a fraction, which is
   * rounded half away from zero (a day's value as sent is kept in its `*_original` column, and every value in the raw
   * page, `sync_raw_page`).
   */
  count(field: string, source?: Record<string, unknown>): number {
    const value = this.number(field, source);
    return Math.sign(value) * Math.round(Math.abs(value));
  }

  /** A count's value as sent when it was a fraction (kept beside the rounded one), null when it was whole. */
  countOriginal(field: string): number | null {
    const value = this.number(field);
    return Number.isInteger(value) ? null : value;
  }

  /** An optional whole number: a missing field, null, an empty string or OMRON's -1 is null. */
  optionalInteger(field: string): number | null {
    const value = this.entry[field];
    if (value === undefined || value === null || value === '') return null;
    const number = this.integer(field);
    return number === -1 ? null : number;
  }

  /** A measured value, or null for OMRON's "not measured" (`-1.0`, also an empty string or null). */
  measured(field: string): number | null {
    const value = this.entry[field];
    if (value === undefined || value === null || value === '') return null;
    const number = this.number(field);
    return number === -1 ? null : number;
  }

  /** Text, or a number sent where the spec shows text. */
  text(field: string): string {
    const value = this.entry[field];
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    return typeof value === 'string' ? value : this.fail(`${field} is missing`);
  }

  /** One of the spellings in `units`, as the unit it stands for. */
  unit(field: string, units: Readonly<Record<string, string>>): string {
    const value = this.entry[field];
    if (typeof value === 'string' && Object.hasOwn(units, value)) return units[value];
    const [first, second] = [...new Set(Object.values(units))];
    return this.fail(`${field} ${JSON.stringify(value)} is neither ${first} nor ${second}`);
  }

  id(field: string, optional = false): string | null {
    const value = this.entry[field];
    if ((value === undefined || value === null) && optional) return null;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
    if (typeof value === 'string' && /^\d{1,18}$/.test(value)) return value.replace(/^0+(?=\d)/, '');
    return this.fail(`${field} is not an id: ${JSON.stringify(value)}`);
  }

  base(): ReadingRow {
    const utc = parseApiDateTime(this.entry.dateTime);
    if (!utc) this.fail(`dateTime is not a date-time: ${JSON.stringify(this.entry.dateTime)}`);
    const local = parseApiDateTime(this.entry.dateTimeLocal);
    if (!local) this.fail(`dateTimeLocal is not a date-time: ${JSON.stringify(this.entry.dateTimeLocal)}`);
    const offset = parseUtcOffset(this.entry.dateTimeUtcOffset);
    if (offset === null) this.fail(`dateTimeUtcOffset is not an offset: ${JSON.stringify(this.entry.dateTimeUtcOffset)}`);
    const device = this.entry.deviceType;
    return {
      upstream_id: this.id('id')!,
      measured_at: utc.iso,
      local_time: local.text,
      utc_offset_seconds: offset,
      device_type: typeof device === 'string' ? device : typeof device === 'number' ? String(device) : '',
    };
  }
}

type Converted = Extract<OmronRead, { as: 'converted' }>;
type FieldRead = Exclude<OmronRead, Converted>;

/** A value read from OMRON's field as `read` says (`converted` columns are derived afterwards). */
function readValue(reader: EntryReader, field: string, read: FieldRead): unknown {
  switch (read.as) {
    case 'number':
      return reader.number(field);
    case 'integer': {
      const number = reader.integer(field);
      return read.zeroIsNull && number === 0 ? null : number;
    }
    case 'optionalInteger': {
      const number = reader.optionalInteger(field);
      return read.zeroIsNull && number === 0 ? null : number;
    }
    case 'count':
      return reader.count(field);
    case 'countFraction':
      return reader.countOriginal(field);
    case 'measured': {
      const number = reader.measured(field);
      return number === null && read.required ? reader.fail(`${field} is missing`) : number;
    }
    case 'saturation': {
      const number = reader.measured(field);
      return number === null || number <= 0 || number > 100
        ? reader.fail(`${field} ${JSON.stringify(reader.entry[field])} is not a saturation`)
        : number;
    }
    case 'text':
      return reader.text(field);
    case 'id':
      return reader.id(field, true);
    case 'flag':
      return reader.entry[field] === true || reader.entry[field] === 'true';
    case 'numbers': {
      const list = reader.entry[field];
      if (!Array.isArray(list) || !list.every((item) => typeof item === 'number' && Number.isFinite(item))) {
        return reader.fail(`${field} is not a list of numbers`);
      }
      return list;
    }
    case 'unit':
      return reader.unit(field, read.units);
    case 'hour':
      return hourOf(reader, reader.entry[field]);
  }
}

/** Each kind's value columns, split once: those read from an OMRON field, then those converted from them. */
interface KindPlan {
  read: [column: string, field: string, read: FieldRead][];
  converted: [column: string, read: Converted][];
}

const PLANS = Object.fromEntries(
  MEASUREMENT_KIND_NAMES.map((kind) => {
    const plan: KindPlan = { read: [], converted: [] };
    for (const value of READING_CATALOGUE[kind]) {
      const read = omronReadOf(value);
      if (read.as === 'converted') plan.converted.push([value.column, read]);
      // The catalogue spec checks that every column not converted names its OMRON field.
      else plan.read.push([value.column, value.omronField!, read]);
    }
    return [kind, plan];
  }),
) as Record<MeasurementKind, KindPlan>;

function hourOf(reader: EntryReader, value: unknown): number {
  const match = typeof value === 'string' ? /^(\d{1,2}):00$/.exec(value.trim()) : null;
  const hour = match ? Number(match[1]) : typeof value === 'number' ? value : NaN;
  return Number.isInteger(hour) && hour >= 0 && hour <= 23 ? hour : reader.fail(`hourly hour ${JSON.stringify(value)} is not an hour`);
}

/** An activity day's hours (their own table, `activity_hourly_reading`), ordered by hour; null when none were sent. */
function hourlyActivity(reader: EntryReader): HourlyRow[] | null {
  const hourlyData = reader.entry.hourlyActivityData;
  if (hourlyData === undefined || hourlyData === null) return null;
  if (!Array.isArray(hourlyData)) return reader.fail('hourlyActivityData is not a list');
  const byHour = new Map<number, HourlyRow>();
  for (const item of hourlyData as Record<string, unknown>[]) {
    if (typeof item !== 'object' || item === null) reader.fail('hourlyActivityData holds a non-object');
    // Read like a reading's entry, failing with the day's ID.
    const hourReader = new EntryReader(reader.kind, { ...item, id: reader.entry.id });
    const row = ACTIVITY_HOUR_COLUMNS.map((value) => readValue(hourReader, value.omronField!, omronReadOf(value) as FieldRead) as number);
    const hour = row[0]; // the catalogue's first hour column
    if (byHour.has(hour)) reader.fail(`hourlyActivityData has hour ${hour} twice`);
    byHour.set(hour, row);
  }
  return [...byHour.values()].sort((a, b) => a[0] - b[0]);
}

/**
 * What a kind's entry carries beyond its value columns, read first: blood pressure's unit (checked, not stored),
 * activity's hours.
 */
const EXTRAS: Partial<Record<MeasurementKind, (reader: EntryReader) => Record<string, unknown>>> = {
  blood_pressure: (reader) => {
    const units = reader.entry.bloodPressureUnits;
    if (units !== undefined && units !== 'mmHg') reader.fail(`bloodPressureUnits ${JSON.stringify(units)} is not mmHg`);
    return {};
  },
  activity: (reader) => ({ hourly: hourlyActivity(reader) }),
};

/** One upstream entry as a row of the kind's table. */
export function normaliseEntry(kind: MeasurementKind, entry: unknown): ReadingRow {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new MeasurementFormatError(kind, undefined, 'the entry is not an object');
  }
  const reader = new EntryReader(kind, entry as Record<string, unknown>);
  const extras = EXTRAS[kind]?.(reader);
  const row: ReadingRow = reader.base();
  const plan = PLANS[kind];
  for (const [column, field, read] of plan.read) row[column] = readValue(reader, field, read);
  for (const [column, { from, unitColumn, convert }] of plan.converted) {
    const source = row[from] as number | null;
    const unit = row[unitColumn] as string;
    row[column] = source !== null && Object.hasOwn(convert, unit) ? convert[unit](source) : source;
  }
  return extras ? Object.assign(row, extras) : row;
}

/** The entries of one kind in a measurement answer's `result`, as rows; `[]` when the answer has none. */
export function normaliseResult(kind: MeasurementKind, result: Record<string, unknown>): ReadingRow[] {
  const entries = result[MEASUREMENT_KINDS[kind].resultKey];
  if (entries === undefined || entries === null) return [];
  if (!Array.isArray(entries))
    throw new MeasurementFormatError(kind, undefined, `result.${MEASUREMENT_KINDS[kind].resultKey} is not a list`);
  return entries.map((entry) => normaliseEntry(kind, entry));
}
