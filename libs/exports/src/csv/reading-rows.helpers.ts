import type { EntityManager } from '@mikro-orm/postgresql';
import {
  exportColumns,
  type ChangeScope,
  type CsvChunk,
  type CsvLineFormat,
  type CsvPage,
  type DownloadScope,
  type ExportKind,
  type ReadingsRepository,
} from '@opendsp/measurements';
import { csvLine } from '@opendsp/csv';

export type { ChangeScope, CsvChunk, CsvPage, DownloadScope };

/** The environment's time zone (DSP_TIMEZONE) and whether text cells starting with = + - @ tab or CR get a `'`. */
export type RowFormat = CsvLineFormat;

/**
 * Rows per query where the export goes page by page (deliveries, and downloads from PGlite). Each page is one
 * indexed keyset query, so memory stays at one page however many rows there are; an ECG row carries its whole
 * waveform (tens of kilobytes), hence far fewer per page.
 */
export function pageSizeOf(kind: ExportKind): number {
  return kind === 'ecg' ? 50 : 2000;
}

/** The header line of a kind's CSV file. */
export function headerLine(kind: ExportKind): string {
  return csvLine(exportColumns(kind).map((column) => column.name));
}

/** A download's CSV lines as they come, ordered by participant, time and ID (`ReadingsRepository.downloadCsv`). */
export function downloadPages(
  readings: ReadingsRepository,
  em: EntityManager,
  kind: ExportKind,
  scope: DownloadScope,
  format: RowFormat,
  pageSize = pageSizeOf(kind),
): AsyncGenerator<CsvChunk> {
  return readings.downloadCsv(em, kind, scope, format, pageSize);
}

/** A delivery's CSV lines of one group, page by page in change sequence order (`ReadingsRepository.changeCsvPages`). */
export function changePages(
  readings: ReadingsRepository,
  em: EntityManager,
  kind: ExportKind,
  scope: ChangeScope,
  format: RowFormat,
  pageSize = pageSizeOf(kind),
): AsyncGenerator<CsvPage> {
  return readings.changeCsvPages(em, kind, scope, format, pageSize);
}
