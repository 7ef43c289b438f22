import { MEASUREMENT_KIND_NAMES, type MeasurementKind } from './measurement-kinds.catalogue.js';
import { ACTIVITY_HOUR_COLUMNS, READING_CATALOGUE, type ReadingColumn, type ReadingSqlType } from './reading-columns.catalogue.js';

/**
 * What CSV files are made of: each kind of reading, and `activity_hourly`, the 24 hours of each activity day
 * (`activity_hourly_reading`), one row per hour, that the activity kind's file holds only as a JSON cell.
 */
export type ExportKind = MeasurementKind | 'activity_hourly';
export const EXPORT_KIND_NAMES: ExportKind[] = [...MEASUREMENT_KIND_NAMES, 'activity_hourly'];

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
 * Columns every kind starts with. `r` is the reading, `m` the consented member of the group it belongs to
 * (`ogsc_id`, `internal_customer_id`), `g` the group (`group_id`, its public ID). Times: `measured_at` in the environment's time zone (DSP_TIMEZONE) with that zone's
 * `utc_offset` at that instant, `measured_at_utc` in UTC, and the participant's own wall-clock time and offset
 * as OMRON sent them.
 */
const LEADING: ExportColumn[] = [
  column('ogsc_id', 'm.ogsc_id', 'text'),
  column('internal_customer_id', 'm.internal_customer_id', 'text'),
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

/** How a value column of the catalogue goes into the CSV: text as stored, everything else as PostgreSQL prints it. */
const TYPE_OF_SQL: Record<ReadingSqlType, ColumnType> = {
  text: 'text',
  smallint: 'number',
  int: 'number',
  bigint: 'number',
  'double precision': 'number',
  boolean: 'boolean',
  jsonb: 'json',
};

/** `table` is the SQL alias the values come from: `r` the reading, `h` an activity day's hour. */
function valueColumns(values: readonly ReadingColumn[], table: 'r' | 'h'): ExportColumn[] {
  return values.map((value) =>
    value.sqlType === 'text'
      ? column(value.csvHeader, `${table}.${value.column}`, 'text')
      : column(value.csvHeader, `${table}.${value.column}::text`, TYPE_OF_SQL[value.sqlType]),
  );
}

/**
 * The columns of a kind's CSV file, in order. An hourly row starts like its activity day's (its measurement_id
 * and times are the day's), then the hour's values, then the day's change_seq (an hour changes only with its day).
 */
export function exportColumns(kind: ExportKind): ExportColumn[] {
  if (kind === 'activity_hourly') return [...LEADING, ...valueColumns(ACTIVITY_HOUR_COLUMNS, 'h'), ...TRAILING];
  return [...LEADING, ...valueColumns(READING_CATALOGUE[kind], 'r'), ...TRAILING];
}
