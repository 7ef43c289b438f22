import type { EntityManager } from '@mikro-orm/postgresql';
import {
  exportColumns,
  type ChangeScope,
  type ColumnType,
  type DownloadScope,
  type ExportRowPage,
  type MeasurementKind,
  type ReadingsRepository,
} from '@opendsp/measurements';
import { csvLine, escapeFormula } from './csv-line.js';

export type { ChangeScope, DownloadScope };

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

/** A line maker for a kind's export rows (PostgreSQL's text output of `exportColumns(kind)`, in order). */
function lineMaker(kind: MeasurementKind, format: RowFormat): (row: Row) => string {
  const formatters = exportColumns(kind).map((column) => formatterOf(column.type, format.escapeFormulas));
  return (row: Row): string => {
    const cells = new Array<string>(formatters.length);
    for (let index = 0; index < formatters.length; index++) cells[index] = formatters[index](row[index]);
    return csvLine(cells);
  };
}

async function* asLines(kind: MeasurementKind, format: RowFormat, pages: AsyncGenerator<ExportRowPage>): AsyncGenerator<RowPage> {
  const toLine = lineMaker(kind, format);
  for await (const page of pages) yield { lines: page.rows.map(toLine), seqs: page.seqs };
}

/** A download's rows as CSV lines, page by page, ordered by participant, time and ID (`ReadingsRepository.downloadPages`). */
export function downloadPages(
  readings: ReadingsRepository,
  em: EntityManager,
  kind: MeasurementKind,
  scope: DownloadScope,
  format: RowFormat,
  pageSize = pageSizeOf(kind),
): AsyncGenerator<RowPage> {
  return asLines(kind, format, readings.downloadPages(em, kind, scope, format.timeZone, pageSize));
}

/** A delivery's rows of one group as CSV lines, page by page in change sequence order (`ReadingsRepository.changePages`). */
export function changePages(
  readings: ReadingsRepository,
  em: EntityManager,
  kind: MeasurementKind,
  scope: ChangeScope,
  format: RowFormat,
  pageSize = pageSizeOf(kind),
): AsyncGenerator<RowPage> {
  return asLines(kind, format, readings.changePages(em, kind, scope, format.timeZone, pageSize));
}
