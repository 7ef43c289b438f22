import type { MeasurementKind } from '@opendsp/measurements';

/**
 * How a column's value is written:
 * - `text`: as stored; the only type that formula escaping applies to;
 * - `number`, `boolean`, `time`, `json`: as PostgreSQL prints them (never escaped: `-3` stays a number);
 * - `offset`: seconds east of UTC written as `+09:00`.
 */
export type ColumnType = 'text' | 'number' | 'boolean' | 'time' | 'json' | 'offset';

/** One CSV column: its header, the SQL that selects it (a `?` stands for the environment's time zone) and its type. */
export interface ExportColumn {
  name: string;
  sql: string;
  type: ColumnType;
}

const column = (name: string, sql: string, type: ColumnType): ExportColumn => ({ name, sql, type });
const number = (name: string, field: string): ExportColumn => column(name, `r.${field}::text`, 'number');
const text = (name: string, field: string): ExportColumn => column(name, `r.${field}`, 'text');

/**
 * Columns every kind starts with. `r` is the reading, `p` the participant, `e` their enrollment in the group,
 * `g` the group. Times: `measured_at` in the environment's time zone (DSP_TIMEZONE) with that zone's
 * `utc_offset` at that instant, `measured_at_utc` in UTC, and the participant's own wall-clock time and offset
 * as OMRON sent them.
 */
const LEADING: ExportColumn[] = [
  column('ogsc_id', 'p.ogsc_id', 'text'),
  column('internal_customer_id', 'e.internal_customer_id', 'text'),
  column('group_id', 'g.group_id', 'text'),
  number('measurement_id', 'upstream_id'),
  column('measured_at', `to_char(r.measured_at at time zone ?, 'YYYY-MM-DD"T"HH24:MI:SS')`, 'time'),
  column('utc_offset', `extract(epoch from (r.measured_at at time zone ?) - (r.measured_at at time zone 'UTC'))::int`, 'offset'),
  column('measured_at_utc', `to_char(r.measured_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`, 'time'),
  text('device_local_time', 'local_time'),
  column('device_utc_offset', 'r.utc_offset_seconds', 'offset'),
  text('device_type', 'device_type'),
];

/** The last column of every kind: the reading's change sequence number (grows with every insert and change). */
const TRAILING: ExportColumn[] = [number('change_seq', 'change_seq')];

const KIND_COLUMNS: Record<MeasurementKind, ExportColumn[]> = {
  blood_pressure: [
    number('systolic_mmhg', 'systolic_mmhg'),
    number('diastolic_mmhg', 'diastolic_mmhg'),
    number('pulse_bpm', 'pulse_bpm'),
    column('possible_afib', 'r.possible_afib::text', 'boolean'),
  ],
  activity: [
    number('steps', 'steps'),
    number('aerobic_steps', 'aerobic_steps'),
    number('calories_kcal', 'calories_kcal'),
    number('distance_km', 'distance_km'),
    number('distance_original', 'distance_original'),
    text('distance_unit', 'distance_unit'),
  ],
  weight: [
    number('measurement_id_ext', 'upstream_id_ext'),
    number('weight_kg', 'weight_kg'),
    number('weight_original', 'weight_original'),
    text('weight_unit', 'weight_unit'),
    number('bmi', 'bmi'),
    number('body_fat_percent', 'body_fat_percent'),
    number('skeletal_muscle_percent', 'skeletal_muscle_percent'),
    number('visceral_fat_level', 'visceral_fat_level'),
    number('resting_metabolism_kcal', 'resting_metabolism_kcal'),
  ],
  temperature: [
    number('temperature_c', 'temperature_c'),
    number('temperature_original', 'temperature_original'),
    text('temperature_unit', 'temperature_unit'),
  ],
  oxygen: [number('spo2_percent', 'spo2_percent'), number('pulse_bpm', 'pulse_bpm')],
  ecg: [
    text('classification', 'classification'),
    number('heart_rate_bpm', 'heart_rate_bpm'),
    number('sampling_rate_hz', 'sampling_rate_hz'),
    number('duration_seconds', 'duration_seconds'),
    column('waveform_uv', 'r.waveform_uv::text', 'json'),
  ],
};

/** The columns of a kind's CSV file, in order. */
export function exportColumns(kind: MeasurementKind): ExportColumn[] {
  return [...LEADING, ...KIND_COLUMNS[kind], ...TRAILING];
}
