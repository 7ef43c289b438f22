import { MEASUREMENT_KINDS, type MeasurementKind } from '@opendsp/measurements';

/**
 * Turns the Partner API's measurement entries (`../shared/spec/omron-partner-api-us.txt`, "Understanding the
 * Response") into rows of the typed reading tables, column for column. Pure functions: no I/O.
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

export interface BloodPressureRow extends ReadingRowBase {
  systolic_mmhg: number | null;
  diastolic_mmhg: number | null;
  pulse_bpm: number | null;
  possible_afib: boolean;
}

/** One hour of a day, as `[hour, steps, aerobic_steps, calories_kcal, distance_original]`. */
export type HourlyRow = [number, number, number, number, number];

export interface ActivityRow extends ReadingRowBase {
  steps: number;
  aerobic_steps: number;
  calories_kcal: number;
  distance_km: number;
  distance_original: number;
  distance_unit: 'km' | 'miles';
  /** The count as OMRON sent it when that was a fraction (the column above holds it rounded); null when whole. */
  steps_original: number | null;
  aerobic_steps_original: number | null;
  calories_original: number | null;
  /** Ordered by hour; null when the answer carried no hourly data (stored hours are then left alone). */
  hourly: HourlyRow[] | null;
}

export interface WeightRow extends ReadingRowBase {
  upstream_id_ext: string | null;
  weight_kg: number | null;
  weight_original: number | null;
  weight_unit: 'kg' | 'lb';
  bmi: number | null;
  body_fat_percent: number | null;
  skeletal_muscle_percent: number | null;
  visceral_fat_level: number | null;
  resting_metabolism_kcal: number | null;
}

export interface TemperatureRow extends ReadingRowBase {
  temperature_c: number;
  temperature_original: number;
  temperature_unit: '°C' | '°F';
}

export interface OxygenRow extends ReadingRowBase {
  spo2_percent: number;
  pulse_bpm: number | null;
}

export interface EcgRow extends ReadingRowBase {
  classification: string;
  heart_rate_bpm: number;
  sampling_rate_hz: number;
  duration_seconds: number;
  waveform_uv: number[];
}

export interface ReadingRowsByKind {
  blood_pressure: BloodPressureRow;
  activity: ActivityRow;
  weight: WeightRow;
  temperature: TemperatureRow;
  oxygen: OxygenRow;
  ecg: EcgRow;
}

export type ReadingRow = ReadingRowsByKind[MeasurementKind];

const KG_PER_LB = 0.45359237;
const KM_PER_MILE = 1.609344;
const MAX_OFFSET_SECONDS = 18 * 3600;

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

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

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?$/;

/** `YYYY-MM-DDTHH:mm:ss` (a fraction is dropped), checked to be a real calendar time; null otherwise. */
export function parseApiDateTime(value: unknown): { text: string; utc: Date } | null {
  if (typeof value !== 'string') return null;
  const match = DATE_TIME.exec(value.trim().replace(/Z$/, ''));
  if (!match) return null;
  const text = `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}`;
  const utc = new Date(`${text}Z`);
  return !Number.isNaN(utc.getTime()) && utc.toISOString().slice(0, 19) === text ? { text, utc } : null;
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

  id(field: string, optional = false): string | null {
    const value = this.entry[field];
    if ((value === undefined || value === null) && optional) return null;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
    if (typeof value === 'string' && /^\d{1,18}$/.test(value)) return value.replace(/^0+(?=\d)/, '');
    return this.fail(`${field} is not an id: ${JSON.stringify(value)}`);
  }

  base(): ReadingRowBase {
    const utc = parseApiDateTime(this.entry.dateTime);
    if (!utc) this.fail(`dateTime is not a date-time: ${JSON.stringify(this.entry.dateTime)}`);
    const local = parseApiDateTime(this.entry.dateTimeLocal);
    if (!local) this.fail(`dateTimeLocal is not a date-time: ${JSON.stringify(this.entry.dateTimeLocal)}`);
    const offset = parseUtcOffset(this.entry.dateTimeUtcOffset);
    if (offset === null) this.fail(`dateTimeUtcOffset is not an offset: ${JSON.stringify(this.entry.dateTimeUtcOffset)}`);
    const device = this.entry.deviceType;
    return {
      upstream_id: this.id('id')!,
      measured_at: utc.utc.toISOString(),
      local_time: local.text,
      utc_offset_seconds: offset,
      device_type: typeof device === 'string' ? device : typeof device === 'number' ? String(device) : '',
    };
  }
}

/** Blood pressure values of 0 are OMRON's AFib placeholder (and never a real measurement): null. */
const pressure = (value: number): number | null => (value === 0 ? null : value);
const nullablePressure = (value: number | null): number | null => (value === null ? null : pressure(value));

function bloodPressure(reader: EntryReader): BloodPressureRow {
  const units = reader.entry.bloodPressureUnits;
  if (units !== undefined && units !== 'mmHg') reader.fail(`bloodPressureUnits ${JSON.stringify(units)} is not mmHg`);
  return {
    ...reader.base(),
    systolic_mmhg: pressure(reader.integer('systolic')),
    diastolic_mmhg: pressure(reader.integer('diastolic')),
    // Optional: a reading without a pulse is still a blood pressure reading.
    pulse_bpm: nullablePressure(reader.optionalInteger('pulse')),
    possible_afib: reader.entry.possibleAfib === true || reader.entry.possibleAfib === 'true',
  };
}

function distanceUnit(reader: EntryReader): 'km' | 'miles' {
  const unit = reader.entry.distanceUnits;
  if (unit === 'km') return 'km';
  if (unit === 'miles' || unit === 'mile' || unit === 'mi') return 'miles';
  return reader.fail(`distanceUnits ${JSON.stringify(unit)} is neither miles nor km`);
}

function hourOf(reader: EntryReader, value: unknown): number {
  const match = typeof value === 'string' ? /^(\d{1,2}):00$/.exec(value.trim()) : null;
  const hour = match ? Number(match[1]) : typeof value === 'number' ? value : NaN;
  return Number.isInteger(hour) && hour >= 0 && hour <= 23 ? hour : reader.fail(`hourly hour ${JSON.stringify(value)} is not an hour`);
}

function activity(reader: EntryReader): ActivityRow {
  const unit = distanceUnit(reader);
  const distance = reader.number('dailyDistance');
  const hourlyData = reader.entry.hourlyActivityData;
  let hourly: HourlyRow[] | null = null;
  if (Array.isArray(hourlyData)) {
    const byHour = new Map<number, HourlyRow>();
    for (const item of hourlyData as Record<string, unknown>[]) {
      if (typeof item !== 'object' || item === null) reader.fail('hourlyActivityData holds a non-object');
      const hour = hourOf(reader, item.hour);
      if (byHour.has(hour)) reader.fail(`hourlyActivityData has hour ${hour} twice`);
      byHour.set(hour, [
        hour,
        reader.count('steps', item),
        reader.count('aerobicSteps', item),
        reader.count('calories', item),
        reader.number('distance', item),
      ]);
    }
    hourly = [...byHour.values()].sort((a, b) => a[0] - b[0]);
  } else if (hourlyData !== undefined && hourlyData !== null) reader.fail('hourlyActivityData is not a list');
  return {
    ...reader.base(),
    steps: reader.count('steps'),
    aerobic_steps: reader.count('aerobicSteps'),
    calories_kcal: reader.count('calories'),
    distance_km: unit === 'km' ? distance : round(distance * KM_PER_MILE, 3),
    distance_original: distance,
    distance_unit: unit,
    steps_original: reader.countOriginal('steps'),
    aerobic_steps_original: reader.countOriginal('aerobicSteps'),
    calories_original: reader.countOriginal('calories'),
    hourly,
  };
}

function weight(reader: EntryReader): WeightRow {
  const pref = reader.entry.weightPref;
  const unit =
    pref === 'kg' ? 'kg' : pref === 'lb' || pref === 'lbs' ? 'lb' : reader.fail(`weightPref ${JSON.stringify(pref)} is neither kg nor lb`);
  const original = reader.measured('weight');
  return {
    ...reader.base(),
    upstream_id_ext: reader.id('idExt', true),
    weight_kg: original === null ? null : unit === 'kg' ? original : round(original * KG_PER_LB, 3),
    weight_original: original,
    weight_unit: unit,
    bmi: reader.measured('bmiValue'),
    body_fat_percent: reader.measured('bodyFatPercentage'),
    skeletal_muscle_percent: reader.measured('skeletalMusclePercentage'),
    visceral_fat_level: reader.measured('visceralFatLevel'),
    resting_metabolism_kcal: reader.measured('restingMetabolism'),
  };
}

function temperature(reader: EntryReader): TemperatureRow {
  const pref = reader.entry.temperaturePref;
  const unit = pref === '°C' || pref === 'C' ? '°C' : pref === '°F' || pref === 'F' ? '°F' : null;
  if (!unit) reader.fail(`temperaturePref ${JSON.stringify(pref)} is neither °C nor °F`);
  const original = reader.measured('temperature');
  if (original === null) reader.fail('temperature is missing');
  return {
    ...reader.base(),
    temperature_c: unit === '°C' ? original : round(((original - 32) * 5) / 9, 2),
    temperature_original: original,
    temperature_unit: unit,
  };
}

function oxygen(reader: EntryReader): OxygenRow {
  const spo2 = reader.measured('oxygenLevel');
  if (spo2 === null || spo2 <= 0 || spo2 > 100) reader.fail(`oxygenLevel ${JSON.stringify(reader.entry.oxygenLevel)} is not a saturation`);
  const pulse = reader.optionalInteger('pulse');
  return { ...reader.base(), spo2_percent: spo2, pulse_bpm: pulse === 0 ? null : pulse };
}

function ecg(reader: EntryReader): EcgRow {
  const waveform = reader.entry.waveform;
  if (!Array.isArray(waveform) || !waveform.every((sample) => typeof sample === 'number' && Number.isFinite(sample))) {
    reader.fail('waveform is not a list of numbers');
  }
  return {
    ...reader.base(),
    classification: reader.text('classification'),
    heart_rate_bpm: reader.integer('heartRate'),
    sampling_rate_hz: reader.integer('samplingRate'),
    duration_seconds: reader.number('duration'),
    waveform_uv: waveform as number[],
  };
}

const NORMALISERS: { [K in MeasurementKind]: (reader: EntryReader) => ReadingRowsByKind[K] } = {
  blood_pressure: bloodPressure,
  activity,
  weight,
  temperature,
  oxygen,
  ecg,
};

/** One upstream entry as a row of the kind's table. */
export function normaliseEntry<K extends MeasurementKind>(kind: K, entry: unknown): ReadingRowsByKind[K] {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new MeasurementFormatError(kind, undefined, 'the entry is not an object');
  }
  return NORMALISERS[kind](new EntryReader(kind, entry as Record<string, unknown>));
}

/** The entries of one kind in a measurement answer's `result`, as rows; `[]` when the answer has none. */
export function normaliseResult<K extends MeasurementKind>(kind: K, result: Record<string, unknown>): ReadingRowsByKind[K][] {
  const entries = result[MEASUREMENT_KINDS[kind].resultKey];
  if (entries === undefined || entries === null) return [];
  if (!Array.isArray(entries))
    throw new MeasurementFormatError(kind, undefined, `result.${MEASUREMENT_KINDS[kind].resultKey} is not a list`);
  return entries.map((entry) => normaliseEntry(kind, entry));
}
