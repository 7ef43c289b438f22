import type { MeasurementKind } from './measurement-kinds.js';

/** A value column's PostgreSQL type, spelled as the writer casts OMRON's JSON into it. */
export type ReadingSqlType = 'int' | 'bigint' | 'double precision' | 'boolean' | 'text' | 'jsonb';

/**
 * One value column of a reading table and every name it goes by. The writer, the API's JSON, the CSV
 * files and the portal's period queries all derive from these entries. The entities in `reading.entity.ts`
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

const value = (
  column: string,
  sqlType: ReadingSqlType,
  names: { omron: string | null; api: string; unit?: string; nullable?: boolean; csv?: string; portal?: string | null },
): ReadingColumn => ({
  column,
  sqlType,
  nullable: names.nullable ?? false,
  unit: names.unit ?? null,
  omronField: names.omron,
  apiField: names.api,
  csvHeader: names.csv ?? column,
  portalField: names.portal === undefined ? names.api : names.portal,
});

/**
 * Each kind's value columns, in table, API, CSV and writer order. Adding a kind: an entry here and in
 * `MEASUREMENT_KINDS`, an entity and a migration (docs/architecture.md). Order is part of the CSV format.
 */
export const READING_CATALOGUE: Record<MeasurementKind, readonly ReadingColumn[]> = {
  blood_pressure: [
    value('systolic_mmhg', 'int', { omron: 'systolic', api: 'systolicMmhg', unit: 'mmHg', nullable: true, portal: 'systolic' }),
    value('diastolic_mmhg', 'int', { omron: 'diastolic', api: 'diastolicMmhg', unit: 'mmHg', nullable: true, portal: 'diastolic' }),
    value('pulse_bpm', 'int', { omron: 'pulse', api: 'pulseBpm', unit: 'bpm', nullable: true, portal: 'pulse' }),
    value('possible_afib', 'boolean', { omron: 'possibleAfib', api: 'possibleAfib' }),
  ],
  activity: [
    value('steps', 'int', { omron: 'steps', api: 'steps', unit: 'steps' }),
    value('aerobic_steps', 'int', { omron: 'aerobicSteps', api: 'aerobicSteps', unit: 'steps' }),
    value('calories_kcal', 'int', { omron: 'calories', api: 'caloriesKcal', unit: 'kcal' }),
    value('distance_km', 'double precision', { omron: null, api: 'distanceKm', unit: 'km' }),
    value('distance_original', 'double precision', { omron: 'dailyDistance', api: 'distanceOriginal', unit: 'distance_unit' }),
    value('distance_unit', 'text', { omron: 'distanceUnits', api: 'distanceUnit' }),
    // OMRON may send a fraction for a count (issue 15): the integer columns above hold it rounded, these hold it as
    // sent, and only then (null when the value was whole).
    value('steps_original', 'double precision', { omron: 'steps', api: 'stepsOriginal', unit: 'steps', nullable: true, portal: null }),
    value('aerobic_steps_original', 'double precision', {
      omron: 'aerobicSteps',
      api: 'aerobicStepsOriginal',
      unit: 'steps',
      nullable: true,
      portal: null,
    }),
    value('calories_original', 'double precision', {
      omron: 'calories',
      api: 'caloriesOriginal',
      unit: 'kcal',
      nullable: true,
      portal: null,
    }),
  ],
  weight: [
    value('upstream_id_ext', 'bigint', { omron: 'idExt', api: 'upstreamIdExt', nullable: true, csv: 'measurement_id_ext', portal: null }),
    value('weight_kg', 'double precision', { omron: null, api: 'weightKg', unit: 'kg', nullable: true }),
    value('weight_original', 'double precision', { omron: 'weight', api: 'weightOriginal', unit: 'weight_unit', nullable: true }),
    value('weight_unit', 'text', { omron: 'weightPref', api: 'weightUnit' }),
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
    value('temperature_c', 'double precision', { omron: null, api: 'temperatureC', unit: '°C' }),
    value('temperature_original', 'double precision', { omron: 'temperature', api: 'temperatureOriginal', unit: 'temperature_unit' }),
    value('temperature_unit', 'text', { omron: 'temperaturePref', api: 'temperatureUnit' }),
  ],
  oxygen: [
    value('spo2_percent', 'double precision', { omron: 'oxygenLevel', api: 'spo2Percent', unit: '%' }),
    value('pulse_bpm', 'int', { omron: 'pulse', api: 'pulseBpm', unit: 'bpm', nullable: true, portal: 'pulse' }),
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
