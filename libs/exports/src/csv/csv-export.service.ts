import { PassThrough, type Writable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Response } from 'express';
import { ZipArchive } from 'archiver';
import { DspConfig } from '@opendsp/config';
import { ProgramGroup } from '@opendsp/groups';
import { EXPORT_KIND_NAMES, ReadingsRepository, type ExportKind } from '@opendsp/measurements';
import { ParticipantLookups } from '@opendsp/participants';
import { startOfDayIn, zonedDay } from '@opendsp/time-zone';
import { CSV_NEWLINE, UTF8_BOM } from '@opendsp/csv';
import { downloadPages, headerLine, type DownloadScope } from './reading-rows.helpers.js';
import { ExportAbortedError, writeChunk } from './stream-writes.helpers.js';

const DAY_MS = 24 * 3_600_000;

/**
 * A download's days (`YYYY-MM-DD` in the environment's time zone, both included) as the instants of its filter:
 * from the start of the first day to the start of the day after the last. Which field is not a day, if one.
 */
export function exportDays(
  fromDay: string | undefined,
  toDay: string | undefined,
  timeZone: string,
): { from?: Date; to?: Date } | { invalid: 'from' | 'to' } {
  const from = fromDay ? startOfDayIn(fromDay, timeZone) : undefined;
  const lastDay = toDay ? startOfDayIn(toDay, timeZone) : undefined;
  if (fromDay && !from) return { invalid: 'from' };
  if (toDay && !lastDay) return { invalid: 'to' };
  return { from, to: lastDay ? new Date(lastDay.getTime() + DAY_MS) : undefined };
}

/** At most this many participants can be named in one export (more: export the whole group). */
export const MAX_EXPORT_PARTICIPANTS = 1000;

/** What to export. Only consented participants' readings are ever exported: withdrawn ones are left out. */
export interface CsvExportFilter {
  /** The group's public group ID. */
  groupId: string;
  /** OGSC IDs or the group's internal customer IDs; absent or empty: every participant of the group. */
  participants?: string[];
  /** Measured at or after this instant… */
  from?: Date;
  /** …and before this one. */
  to?: Date;
}

export interface CsvWriteOptions {
  /** Start with a UTF-8 byte order mark, so Excel reads Japanese text correctly. Default false. */
  bom?: boolean;
  /** Escape text cells that a spreadsheet would run as formulas (see `escapeFormula`). Default true. */
  escapeFormulas?: boolean;
  /** End the stream when done. Default true. */
  end?: boolean;
}

export interface CsvExportResult {
  /** Data rows written per kind (the header not counted). */
  rows: Partial<Record<ExportKind, number>>;
  bytes: number;
}

/** A checked export, not yet written: set the response headers from it, then `write`. */
export interface PreparedExport {
  fileName: string;
  contentType: string;
  kinds: ExportKind[];
  /** Streams the file to `out`; on a database error `out` is destroyed, so the reader never takes a cut file for a whole one. */
  write(out: Writable): Promise<CsvExportResult>;
}

export type ExportFilterProblem = 'unknown_group' | 'unknown_participants' | 'too_many_participants' | 'bad_range' | 'no_kinds';

/** The filter names something that does not exist (or is not allowed); nothing has been written. */
export class ExportFilterError extends Error {
  override name = 'ExportFilterError';
  constructor(
    readonly problem: ExportFilterProblem,
    /** For `unknown_participants`: the identifiers not found in the group. */
    readonly unknown: string[] = [],
  ) {
    super(problem === 'unknown_participants' ? `unknown participants: ${unknown.join(', ')}` : problem);
  }
}

/**
 * CSV exports of readings, streamed from the database a page at a time: constant memory for any number of
 * rows. One file per kind, or a zip with one file per kind. Used by the portal's download page and by the
 * REST API; times are in the environment's time zone with UTC and offset columns (see docs/exports.md).
 */
@Injectable()
export class CsvExportService {
  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
    /** Stateless, so a service built by hand (benchmarks) gets its own. */
    private readonly readings: ReadingsRepository = new ReadingsRepository(),
    private readonly participants: ParticipantLookups = new ParticipantLookups(),
  ) {}

  /** Checks the filter and writes one kind's CSV to `out`. Throws ExportFilterError before writing anything. */
  async writeCsv(out: Writable, kind: ExportKind, filter: CsvExportFilter, options: CsvWriteOptions = {}): Promise<CsvExportResult> {
    return (await this.prepare([kind], filter, options)).write(out);
  }

  /**
   * Checks the filter and returns the export: a CSV file for one kind, a zip of one CSV file per kind for
   * several. Throws ExportFilterError for an unknown group or participant, an empty or reversed range.
   */
  async prepare(kinds: ExportKind[], filter: CsvExportFilter, options: CsvWriteOptions = {}): Promise<PreparedExport> {
    const chosen = EXPORT_KIND_NAMES.filter((kind) => kinds.includes(kind));
    if (chosen.length === 0) throw new ExportFilterError('no_kinds');
    const scope = await this.scopeOf(filter);
    const name = this.fileStem(filter);
    if (chosen.length === 1) {
      const [kind] = chosen;
      return {
        fileName: `${name}_${kind}.csv`,
        contentType: 'text/csv; charset=utf-8',
        kinds: chosen,
        write: (out) =>
          this.guarded(out, async () => {
            const { rows, bytes } = await this.writeKind(out, kind, scope, options);
            if (options.end ?? true) out.end();
            return { rows: { [kind]: rows }, bytes };
          }),
      };
    }
    return {
      fileName: `${name}.zip`,
      contentType: 'application/zip',
      kinds: chosen,
      write: (out) => this.guarded(out, () => this.writeZip(out, chosen, scope, options)),
    };
  }

  /**
   * Finds participants of a group by OGSC ID or internal customer ID. Returns their internal IDs and the
   * identifiers that matched nobody in the group.
   */
  async findParticipants(groupUuid: string, identifiers: string[]): Promise<{ participantIds: string[]; unknown: string[] }> {
    const wanted = [...new Set(identifiers)];
    if (wanted.length === 0) return { participantIds: [], unknown: [] };
    const members = await this.participants.inGroup(this.em.fork(), groupUuid, wanted);
    const known = new Set(members.flatMap((member) => [member.ogscId, member.internalCustomerId]));
    return { participantIds: [...new Set(members.map((member) => member.participantId))], unknown: wanted.filter((id) => !known.has(id)) };
  }

  private async scopeOf(filter: CsvExportFilter): Promise<DownloadScope> {
    if (filter.from && filter.to && filter.from >= filter.to) throw new ExportFilterError('bad_range');
    const group = /^[0-9A-Z]{12}$/.test(filter.groupId) ? await this.em.fork().findOne(ProgramGroup, { groupId: filter.groupId }) : null;
    if (!group) throw new ExportFilterError('unknown_group');
    const scope: DownloadScope = { groupUuid: group.id, groupId: group.groupId, from: filter.from, to: filter.to };
    const named = (filter.participants ?? []).map((id) => id.trim()).filter(Boolean);
    if (named.length > MAX_EXPORT_PARTICIPANTS) throw new ExportFilterError('too_many_participants');
    if (named.length > 0) {
      const { participantIds, unknown } = await this.findParticipants(group.id, named);
      if (unknown.length > 0) throw new ExportFilterError('unknown_participants', unknown);
      scope.participantIds = participantIds;
    }
    return scope;
  }

  /** `{groupId}[_{first day}-{last day}]`, days in the environment's time zone. */
  private fileStem(filter: CsvExportFilter): string {
    const zone = this.config.environment.timezone;
    const compact = (instant: Date) => zonedDay(instant, zone).replaceAll('-', '');
    const from = filter.from ? compact(filter.from) : '';
    const to = filter.to ? compact(new Date(filter.to.getTime() - 1)) : '';
    return from || to ? `${filter.groupId}_${from}-${to}` : filter.groupId;
  }

  private async writeKind(
    out: Writable,
    kind: ExportKind,
    scope: DownloadScope,
    options: CsvWriteOptions,
  ): Promise<{ rows: number; bytes: number }> {
    const format = { timeZone: this.config.environment.timezone, escapeFormulas: options.escapeFormulas ?? true };
    let rows = 0;
    let bytes = 0;
    const write = (chunk: string | Buffer): Promise<void> => {
      bytes += Buffer.byteLength(chunk);
      return writeChunk(out, chunk);
    };
    await write(`${options.bom ? UTF8_BOM : ''}${headerLine(kind)}${CSV_NEWLINE}`);
    for await (const page of downloadPages(this.readings, this.em.fork(), kind, scope, format)) {
      rows += page.rows;
      await write(page.csv);
    }
    return { rows, bytes };
  }

  private async writeZip(out: Writable, kinds: ExportKind[], scope: DownloadScope, options: CsvWriteOptions): Promise<CsvExportResult> {
    const archive = new ZipArchive({ zlib: { level: 6 } });
    let entry: PassThrough | undefined;
    let failure: Error | undefined;
    // A reader that goes away, or a zip error, ends the entry being written, which ends the loop below.
    const stop = (error: Error): void => {
      failure ??= error;
      entry?.destroy(error);
    };
    // A stream that closes after the zip ended it is done, not aborted.
    const onClose = (): void => {
      if (!out.writableEnded) stop(new ExportAbortedError());
    };
    out.once('close', onClose);
    archive.once('error', stop);
    try {
      archive.pipe(out, { end: options.end ?? true });
      const rows: CsvExportResult['rows'] = {};
      for (const kind of kinds) {
        // One entry at a time: archiver reads an entry's stream only when its turn comes.
        entry = new PassThrough();
        archive.append(entry, { name: `${kind}.csv` });
        rows[kind] = (await this.writeKind(entry, kind, scope, options)).rows;
        entry.end();
      }
      await archive.finalize();
      if (failure) throw failure;
      return { rows, bytes: archive.pointer() };
    } catch (error) {
      archive.abort();
      throw failure ?? error;
    } finally {
      out.off('close', onClose);
    }
  }

  /** Destroys the stream on failure, so a cut file never looks like a whole one to the reader. */
  private async guarded(out: Writable, work: () => Promise<CsvExportResult>): Promise<CsvExportResult> {
    try {
      return await work();
    } catch (error) {
      out.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }
}

/**
 * Sends a prepared export as an HTTP download (the portal's and the API's alike). Once the headers are out a
 * failure can only cut the connection, so the reader sees a failed download, never a short file; it is logged
 * unless the reader went away first. Resolves when the file is sent or cut.
 */
export async function sendExport(res: Response, prepared: PreparedExport, onFailure: (error: unknown) => void): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', prepared.contentType);
  res.setHeader('Content-Disposition', `attachment; filename="${prepared.fileName}"`);
  res.setHeader('Cache-Control', 'no-store');
  try {
    await prepared.write(res);
  } catch (error) {
    if (!(error instanceof ExportAbortedError)) onFailure(error);
  }
}
