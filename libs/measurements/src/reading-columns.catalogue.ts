import type { MeasurementKind } from './measurement-kinds.catalogue.js';

/** A value column's PostgreSQL type, spelled as the writer casts OMRON's JSON into it. */
export type ReadingSqlType = 'smallint' | 'int' | 'bigint' | 'double precision' | 'boolean' | 'text' | 'jsonb';

/**
 * How normalisation (libs/sync/src/normalise.rules.ts) reads a column's value from OMRON's entry, where the column's
 * type does not say it all (`omronReadOf` gives the rule by type otherwise). A number may always come as a JSON
 * number or a decimal string.
 * - `number`: a number, required; `integer`: a whole number, required; `optionalInteger`: missing, null, '' or -1 is null. With `zeroIsNull`, a
 *   0 is null too (OMRON's placeholder where nothing was measured, e.g. blood pressure with possible AFib).
 * - `count`: a number stored in an integer column, rounded half away from zero when OMRON sends a fraction;
 *   `countFraction`: that field as sent when it was a fraction, else null.
 * - `measured`: a number, or null for "not measured" (missing, null, '' or -1); `required` refuses null.
 * - `saturation`: a measured percentage in (0, 100].
 * - `hour`: an hour of the day, 0–23, as a number or `"HH:00"`.
 * - `unit`: one of the spellings OMRON uses, each mapped to the stored unit.
 * - `converted`: derived from the column `from` (no OMRON field), by the unit in `unitColumn`; a unit without a
 *   conversion keeps the value, and null stays null.
 */
export type OmronRead =
  | { as: 'integer' | 'optionalInteger'; zeroIsNull?: boolean }
  | { as: 'number' | 'count' | 'countFraction' | 'saturation' | 'hour' }
  | { as: 'measured'; required?: boolean }
  | { as: 'text' | 'id' | 'flag' | 'numbers' }
  | { as: 'unit'; units: Readonly<Record<string, string>> }
  | { as: 'converted'; from: string; unitColumn: string; convert: Readonly<Record<string, (value: number) => number>> };

/**
 * One value column of a reading table and every name it goes by. Normalisation, the writer, the API's JSON,
 * the CSV files and the portal's period queries all derive from these entries. The entities in `reading.entity.ts`
 * must agree (`reading-columns.catalogue.spec.ts` compares names, types and nullability), and so must the
 * migrations (the schema check of libs/database compares those with the entities).
 */
export interface ReadingColumn {
  /** SQL column name. */
  column: string;
  sqlType: ReadingSqlType;
  /** null where OMRON sends "not measured" (or 0 as a placeholder). */
  nullable: boolean;
  /** Unit of the stored value; null for text, flags and counts without one. */
  unit: string | null;
  /** The Partner API field the value comes from; null when derived (a conversion to metric). */
  omronField: string | null;
  /** How normalisation reads it, when the type does not say (see `OmronRead`, `omronReadOf`). */
  read?: OmronRead;
  /** Field of the REST API's JSON. A `bigint` goes out as a string, like every ID. */
  apiField: string;
  /** Header of the CSV column. */
  csvHeader: string;
  /** Field of the portal's reading rows, which is also its chart series key; null: not read by the portal page. */
  portalField: string | null;
}

/** Columns every reading table has before the kind's values; `upstream_id` is the upsert's key. */
export const READING_BASE_COLUMNS: readonly (readonly [column: string, sqlType: ReadingSqlType | 'timestamptz'])[] = [
  ['upstream_id', 'bigint'],
  ['measured_at', 'timestamptz'],
  ['local_time', 'text'],
  ['utc_offset_seconds', 'int'],
  ['device_type', 'text'],
];

/**
 * How normalisation reads a column: its `read`, or by its type: text as text, a flag as `true` or `"true"`,
 * JSON as a list of numbers, a bigint as an optional ID, an int as a whole number (`integer`) and a double as a
 * number (`number`), both optional (`optionalInteger`, `measured`) when the column is nullable.
 */
export function omronReadOf(value: ReadingColumn): OmronRead {
  if (value.read) return value.read;
  switch (value.sqlType) {
    case 'text':
      return { as: 'text' };
    case 'boolean':
      return { as: 'flag' };
    case 'jsonb':
      return { as: 'numbers' };
    case 'bigint':
      return { as: 'id' };
    case 'smallint':
    case 'int':
      return { as: value.nullable ? 'optionalInteger' : 'integer' };
    case 'double precision':
      return { as: value.nullable ? 'measured' : 'number' };
  }
}

const KG_PER_LB = 0.45359237;
const KM_PER_MILE = 1.609344;
const round = (value: number, digits: number): number => Number(value.toFixed(digits));

/** Blood pressure values of 0 are OMRON's AFib placeholder (never a real measurement), as is a pulse of 0: null. */
const ZERO_IS_NULL: OmronRead = { as: 'integer', zeroIsNull: true };
const OPTIONAL_ZERO_IS_NULL: OmronRead = { as: 'optionalInteger', zeroIsNull: true };
const COUNT: OmronRead = { as: 'count' };
const COUNT_FRACTION: OmronRead = { as: 'countFraction' };

const value = (
  column: string,
  sqlType: ReadingSqlType,
  names: {
    omron: string | null;
    read?: OmronRead;
    api: string;
    unit?: string;
    nullable?: boolean;
    csv?: string;
    portal?: string | null;
  },
): ReadingColumn => ({
  column,
  sqlType,
  nullable: names.nullable ?? false,
  unit: names.unit ?? null,
  omronField: names.omron,
  ...(names.read ? { read: names.read } : {}),
  apiField: names.api,
  csvHeader: names.csv ?? column,
  portalField: names.portal === undefined ? names.api : names.portal,
});

/** Blood pressure's and SpO2's pulse. Optional: a reading without a pulse is still a reading of its kind. */
const PULSE = value('pulse_bpm', 'int', {
  omron: 'pulse',
  read: OPTIONAL_ZERO_IS_NULL,
  api: 'pulseBpm',
  unit: 'bpm',
  nullable: true,
  portal: 'pulse',
});

/**
 * Each kind's value columns, in table, API, CSV and writer order. Adding a kind: an entry here and in
 * `MEASUREMENT_KINDS`, an entity and a migration (docs/architecture.md). Order is part of the CSV format.
 */
export const READING_CATALOGUE: Record<MeasurementKind, readonly ReadingColumn[]> = {
  blood_pressure: [
    value('systolic_mmhg', 'int', {
      omron: 'systolic',
      read: ZERO_IS_NULL,
      api: 'systolicMmhg',
      unit: 'mmHg',
      nullable: true,
      portal: 'systolic',
    }),
    value('diastolic_mmhg', 'int', {
      omron: 'diastolic',
      read: ZERO_IS_NULL,
      api: 'diastolicMmhg',
      unit: 'mmHg',
      nullable: true,
      portal: 'diastolic',
    }),
    PULSE,
    value('possible_afib', 'boolean', { omron: 'possibleAfib', api: 'possibleAfib' }),
  ],
  activity: [
    value('steps', 'int', { omron: 'steps', read: COUNT, api: 'steps', unit: 'steps' }),
    value('aerobic_steps', 'int', { omron: 'aerobicSteps', read: COUNT, api: 'aerobicSteps', unit: 'steps' }),
    value('calories_kcal', 'int', { omron: 'calories', read: COUNT, api: 'caloriesKcal', unit: 'kcal' }),
    value('distance_km', 'double precision', {
      omron: null,
      read: {
        as: 'converted',
        from: 'distance_original',
        unitColumn: 'distance_unit',
        convert: { miles: (v) => round(v * KM_PER_MILE, 3) },
      },
      api: 'distanceKm',
      unit: 'km',
    }),
    value('distance_original', 'double precision', { omron: 'dailyDistance', api: 'distanceOriginal', unit: 'distance_unit' }),
    value('distance_unit', 'text', {
      omron: 'distanceUnits',
      read: { as: 'unit', units: { miles: 'miles', mile: 'miles', mi: 'miles', km: 'km' } },
      api: 'distanceUnit',
    }),
    // OMRON may send a fraction for a count (issue 15): the integer columns above hold it rounded, these hold it as
    // sent, and only then (null when the value was whole).
    value('steps_original', 'double precision', {
      omron: 'steps',
      read: COUNT_FRACTION,
      api: 'stepsOriginal',
      unit: 'steps',
      nullable: true,
      portal: null,
    }),
    value('aerobic_steps_original', 'double precision', {
      omron: 'aerobicSteps',
      read: COUNT_FRACTION,
      api: 'aerobicStepsOriginal',
      unit: 'steps',
      nullable: true,
      portal: null,
    }),
    value('calories_original', 'double precision', {
      omron: 'calories',
      read: COUNT_FRACTION,
      api: 'caloriesOriginal',
      unit: 'kcal',
      nullable: true,
      portal: null,
    }),
  ],
  weight: [
    value('upstream_id_ext', 'bigint', { omron: 'idExt', api: 'upstreamIdExt', nullable: true, csv: 'measurement_id_ext', portal: null }),
    value('weight_kg', 'double precision', {
      omron: null,
      read: { as: 'converted', from: 'weight_original', unitColumn: 'weight_unit', convert: { lb: (v) => round(v * KG_PER_LB, 3) } },
      api: 'weightKg',
      unit: 'kg',
      nullable: true,
    }),
    value('weight_original', 'double precision', { omron: 'weight', api: 'weightOriginal', unit: 'weight_unit', nullable: true }),
    value('weight_unit', 'text', {
      omron: 'weightPref',
      read: { as: 'unit', units: { kg: 'kg', lb: 'lb', lbs: 'lb' } },
      api: 'weightUnit',
    }),
    value('bmi', 'double precision', { omron: 'bmiValue', api: 'bmi', unit: 'kg/m²', nullable: true }),
    value('body_fat_percent', 'double precision', { omron: 'bodyFatPercentage', api: 'bodyFatPercent', unit: '%', nullable: true }),
    value('skeletal_muscle_percent', 'double precision', {
      omron: 'skeletalMusclePercentage',
      api: 'skeletalMusclePercent',
      unit: '%',
      nullable: true,
    }),
    value('visceral_fat_level', 'double precision', { omron: 'visceralFatLevel', api: 'visceralFatLevel', nullable: true }),
    value('resting_metabolism_kcal', 'double precision', {
      omron: 'restingMetabolism',
      api: 'restingMetabolismKcal',
      unit: 'kcal',
      nullable: true,
    }),
  ],
  temperature: [
    value('temperature_c', 'double precision', {
      omron: null,
      read: {
        as: 'converted',
        from: 'temperature_original',
        unitColumn: 'temperature_unit',
        convert: { '°F': (v) => round(((v - 32) * 5) / 9, 2) },
      },
      api: 'temperatureC',
      unit: '°C',
    }),
    value('temperature_original', 'double precision', {
      omron: 'temperature',
      read: { as: 'measured', required: true },
      api: 'temperatureOriginal',
      unit: 'temperature_unit',
    }),
    value('temperature_unit', 'text', {
      omron: 'temperaturePref',
      read: { as: 'unit', units: { '°C': '°C', C: '°C', '°F': '°F', F: '°F' } },
      api: 'temperatureUnit',
    }),
  ],
  oxygen: [
    value('spo2_percent', 'double precision', { omron: 'oxygenLevel', read: { as: 'saturation' }, api: 'spo2Percent', unit: '%' }),
    PULSE,
  ],
  ecg: [
    value('classification', 'text', { omron: 'classification', api: 'classification' }),
    value('heart_rate_bpm', 'int', { omron: 'heartRate', api: 'heartRateBpm', unit: 'bpm' }),
    value('sampling_rate_hz', 'int', { omron: 'samplingRate', api: 'samplingRateHz', unit: 'Hz' }),
    value('duration_seconds', 'double precision', { omron: 'duration', api: 'durationSeconds', unit: 's' }),
    // The waveform is tens of kilobytes: the portal loads it for the one recording shown (`ecgWaveform`).
    value('waveform_uv', 'jsonb', { omron: 'waveform', api: 'waveformUv', unit: 'µV', portal: null }),
  ],
};

/**
 * The columns of `activity_hourly_reading`, one row per hour of an activity day (`activity_id`), in table, writer
 * and API order: the hour of the local day, then the hour's values as OMRON sends them in `hourlyActivityData`.
 * Normalisation reads each `omronField` as `read` says, the writer stores them, the API's `hourly` list and the
 * portal's hourly chart rows use `apiField` (which is also the portal's field).
 */
export const ACTIVITY_HOUR_COLUMNS: readonly ReadingColumn[] = [
  value('hour', 'smallint', { omron: 'hour', read: { as: 'hour' }, api: 'hour' }),
  value('steps', 'int', { omron: 'steps', read: COUNT, api: 'steps', unit: 'steps' }),
  value('aerobic_steps', 'int', { omron: 'aerobicSteps', read: COUNT, api: 'aerobicSteps', unit: 'steps' }),
  value('calories_kcal', 'int', { omron: 'calories', read: COUNT, api: 'caloriesKcal', unit: 'kcal' }),
  value('distance_original', 'double precision', { omron: 'distance', api: 'distanceOriginal', unit: 'distance_unit' }),
];
