import type { EntityManager } from '@mikro-orm/postgresql';
import { MEASUREMENT_KINDS, type MeasurementKind } from '@opendsp/measurements';
import { csvLine, escapeFormula } from './csv-line.js';
import { exportColumns, type ColumnType } from './export-columns.js';

/** Readings of one group for a download: optionally only some participants and a time range [from, to). */
export interface DownloadScope {
  /** The group's internal ID. */
  groupUuid: string;
  /** Internal participant IDs; absent: every consented participant of the group. */
  participantIds?: string[];
  from?: Date;
  to?: Date;
}

/** Readings of one group with change sequence numbers in (afterSeq, upToSeq], for a delivery. */
export interface ChangeScope {
  groupUuid: string;
  afterSeq: string;
  upToSeq: string;
}

export interface RowFormat {
  /** IANA time zone of the `measured_at` and `utc_offset` columns (DSP_TIMEZONE). */
  timeZone: string;
  /** Put a `'` in front of text cells starting with = + - @ tab or CR (spreadsheet downloads). */
  escapeFormulas: boolean;
}

/** A page of CSV lines (without line endings) and the change sequence number of each. */
export interface RowPage {
  lines: string[];
  seqs: string[];
}

type Row = Record<string, unknown>;

/**
 * Rows per query. Each page is one indexed keyset query, so memory stays at one page however many rows there are;
 * an ECG row carries its whole waveform (tens of kilobytes), hence far fewer per page.
 */
export function pageSizeOf(kind: MeasurementKind): number {
  return kind === 'ecg' ? 50 : 5000;
}

function formatOffset(seconds: number): string {
  const abs = Math.abs(seconds);
  const hours = String(Math.floor(abs / 3600)).padStart(2, '0');
  const minutes = String(Math.floor((abs % 3600) / 60)).padStart(2, '0');
  return `${seconds < 0 ? '-' : '+'}${hours}:${minutes}`;
}

function formatterOf(type: ColumnType, escapeFormulas: boolean): (value: unknown) => string {
  if (type === 'text') return escapeFormulas ? (value) => (value == null ? '' : escapeFormula(String(value))) : (value) => (value == null ? '' : String(value));
  if (type === 'offset') return (value) => (value == null ? '' : formatOffset(Number(value)));
  return (value) => (value == null ? '' : String(value));
}

/** The header line of a kind's CSV file. */
export function headerLine(kind: MeasurementKind): string {
  return csvLine(exportColumns(kind).map((column) => column.name));
}

/** The SQL shared by downloads and deliveries: the kind's columns of consented participants of one group. */
function baseQuery(kind: MeasurementKind, format: RowFormat, extraSelect: string): { sql: string; params: unknown[]; toLine: (row: Row) => string } {
  const columns = exportColumns(kind);
  const select = columns.map((column, index) => `${column.sql} as c${index}`).join(', ');
  const zoneParams = columns.flatMap((column) => Array.from(column.sql.matchAll(/\?/g), () => format.timeZone));
  // Withdrawn participants are left out: only a consented enrollment in the group joins.
  const sql = `select ${select}, ${extraSelect}
    from ${MEASUREMENT_KINDS[kind].table} r
    join enrollment e on e.participant_id = r.participant_id and e.group_id = ? and e.status = 'consented'
    join participant p on p.id = r.participant_id
    join program_group g on g.id = e.group_id`;
  const formatters = columns.map((column) => formatterOf(column.type, format.escapeFormulas));
  const keys = columns.map((_, index) => `c${index}`);
  const toLine = (row: Row): string => csvLine(keys.map((key, index) => formatters[index](row[key])));
  return { sql, params: zoneParams, toLine };
}

/**
 * A download's rows, page by page, ordered by participant, time and ID: keyset pagination on the
 * (participant_id, measured_at) index, so page 500 costs what page 1 does and no long transaction or
 * server-side cursor is held while the client reads.
 */
export async function* downloadPages(
  em: EntityManager,
  kind: MeasurementKind,
  scope: DownloadScope,
  format: RowFormat,
  pageSize = pageSizeOf(kind),
): AsyncGenerator<RowPage> {
  const base = baseQuery(kind, format, 'r.participant_id::text as k_p, r.measured_at::text as k_t, r.id::text as k_i, r.change_seq::text as k_s');
  const conditions: string[] = [];
  const params: unknown[] = [...base.params, scope.groupUuid];
  if (scope.participantIds) {
    if (scope.participantIds.length === 0) return;
    conditions.push('r.participant_id in (?)');
    params.push(scope.participantIds);
  }
  if (scope.from) {
    conditions.push('r.measured_at >= ?::timestamptz');
    params.push(scope.from.toISOString());
  }
  if (scope.to) {
    conditions.push('r.measured_at < ?::timestamptz');
    params.push(scope.to.toISOString());
  }
  let after: [string, string, string] | null = null;
  for (;;) {
    const keyset: string[] = after ? ['(r.participant_id, r.measured_at, r.id) > (?::uuid, ?::timestamptz, ?::bigint)'] : [];
    const where: string[] = [...conditions, ...keyset];
    const rows: Row[] = await em
      .getConnection()
      .execute<Row[]>(
        `${base.sql} ${where.length ? `where ${where.join(' and ')}` : ''} order by r.participant_id, r.measured_at, r.id limit ${pageSize}`,
        [...params, ...(after ?? [])],
        'all',
      );
    if (rows.length === 0) return;
    yield { lines: rows.map(base.toLine), seqs: rows.map((row) => row.k_s as string) };
    if (rows.length < pageSize) return;
    const last: Row = rows.at(-1)!;
    after = [last.k_p as string, last.k_t as string, last.k_i as string];
  }
}

/** A delivery's rows of one group, page by page in change sequence order (keyset on its unique index). */
export async function* changePages(
  em: EntityManager,
  kind: MeasurementKind,
  scope: ChangeScope,
  format: RowFormat,
  pageSize = pageSizeOf(kind),
): AsyncGenerator<RowPage> {
  const base = baseQuery(kind, format, 'r.change_seq::text as k_s');
  let after = scope.afterSeq;
  for (;;) {
    const rows: Row[] = await em
      .getConnection()
      .execute<Row[]>(
        `${base.sql} where r.change_seq > ?::bigint and r.change_seq <= ?::bigint order by r.change_seq limit ${pageSize}`,
        [...base.params, scope.groupUuid, after, scope.upToSeq],
        'all',
      );
    if (rows.length === 0) return;
    yield { lines: rows.map(base.toLine), seqs: rows.map((row) => row.k_s as string) };
    if (rows.length < pageSize) return;
    after = rows.at(-1)!.k_s as string;
  }
}
