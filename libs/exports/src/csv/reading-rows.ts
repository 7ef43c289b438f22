import type { EntityManager, PostgreSqlConnection } from '@mikro-orm/postgresql';
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

type Row = unknown[];

/**
 * Rows per query. Each page is one indexed keyset query, so memory stays at one page however many rows there
 * are; an ECG row carries its whole waveform (tens of kilobytes), hence far fewer per page.
 */
export function pageSizeOf(kind: MeasurementKind): number {
  return kind === 'ecg' ? 50 : 2000;
}

function formatOffset(seconds: number): string {
  const abs = Math.abs(seconds);
  const hours = String(Math.floor(abs / 3600)).padStart(2, '0');
  const minutes = String(Math.floor((abs % 3600) / 60)).padStart(2, '0');
  return `${seconds < 0 ? '-' : '+'}${hours}:${minutes}`;
}

function formatterOf(type: ColumnType, escapeFormulas: boolean): (value: unknown) => string {
  if (type === 'text')
    return escapeFormulas
      ? (value) => (value == null ? '' : escapeFormula(String(value)))
      : (value) => (value == null ? '' : String(value));
  if (type === 'offset') return (value) => (value == null ? '' : formatOffset(Number(value)));
  return (value) => (value == null ? '' : String(value));
}

/** The header line of a kind's CSV file. */
export function headerLine(kind: MeasurementKind): string {
  return csvLine(exportColumns(kind).map((column) => column.name));
}

/**
 * Runs a query on the ORM's own pool, rows as arrays of PostgreSQL's text output: no row objects and no
 * parsing of values that only go back out as text (a million-row export makes a million of each).
 */
async function queryRows(em: EntityManager, text: string, values: unknown[]): Promise<Row[]> {
  const pool = await (em.getConnection() as PostgreSqlConnection).getNativeClient();
  const result = await pool.query<Row>({ text, values, rowMode: 'array', types: { getTypeParser: () => (value: string) => value } });
  return result.rows;
}

/**
 * The SQL shared by downloads and deliveries: the kind's columns of consented participants of one group.
 * `$1` is the environment's time zone and `$2` the group; `extraSelect` columns follow the kind's columns.
 */
function baseQuery(
  kind: MeasurementKind,
  format: RowFormat,
  extraSelect: string,
): { sql: string; toLine: (row: Row) => string; width: number } {
  const columns = exportColumns(kind);
  const select = columns.map((column) => column.sql.replaceAll('?', '$1')).join(', ');
  // Withdrawn participants are left out: only a consented enrollment in the group joins.
  const sql = `select ${select}, ${extraSelect}
    from ${MEASUREMENT_KINDS[kind].table} r
    join enrollment e on e.participant_id = r.participant_id and e.group_id = $2 and e.status = 'consented'
    join participant p on p.id = r.participant_id
    join program_group g on g.id = e.group_id`;
  const formatters = columns.map((column) => formatterOf(column.type, format.escapeFormulas));
  const toLine = (row: Row): string => {
    const cells = new Array<string>(formatters.length);
    for (let index = 0; index < formatters.length; index++) cells[index] = formatters[index](row[index]);
    return csvLine(cells);
  };
  return { sql, toLine, width: columns.length };
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
  const base = baseQuery(kind, format, 'r.participant_id::text, r.measured_at::text, r.id::text, r.change_seq::text');
  const conditions: string[] = [];
  const params: unknown[] = [format.timeZone, scope.groupUuid];
  if (scope.participantIds) {
    if (scope.participantIds.length === 0) return;
    params.push(scope.participantIds);
    conditions.push(`r.participant_id = any($${params.length}::uuid[])`);
  }
  if (scope.from) {
    params.push(scope.from.toISOString());
    conditions.push(`r.measured_at >= $${params.length}::timestamptz`);
  }
  if (scope.to) {
    params.push(scope.to.toISOString());
    conditions.push(`r.measured_at < $${params.length}::timestamptz`);
  }
  const keyset = `(r.participant_id, r.measured_at, r.id) > ($${params.length + 1}::uuid, $${params.length + 2}::timestamptz, $${params.length + 3}::bigint)`;
  const order = `order by r.participant_id, r.measured_at, r.id limit ${pageSize}`;
  const where = (extra: string[]): string => (extra.length ? `where ${extra.join(' and ')}` : '');
  let after: unknown[] | null = null;
  for (;;) {
    const rows = await queryRows(
      em,
      `${base.sql} ${where(after ? [...conditions, keyset] : conditions)} ${order}`,
      after ? [...params, ...after] : params,
    );
    if (rows.length === 0) return;
    yield { lines: rows.map(base.toLine), seqs: rows.map((row) => row[base.width + 3] as string) };
    if (rows.length < pageSize) return;
    after = rows.at(-1)!.slice(base.width, base.width + 3);
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
  const base = baseQuery(kind, format, 'r.change_seq::text');
  const sql = `${base.sql} where r.change_seq > $3::bigint and r.change_seq <= $4::bigint order by r.change_seq limit ${pageSize}`;
  let after = scope.afterSeq;
  for (;;) {
    const rows = await queryRows(em, sql, [format.timeZone, scope.groupUuid, after, scope.upToSeq]);
    if (rows.length === 0) return;
    const seqs = rows.map((row) => row[base.width] as string);
    yield { lines: rows.map(base.toLine), seqs };
    if (rows.length < pageSize) return;
    after = seqs.at(-1)!;
  }
}
