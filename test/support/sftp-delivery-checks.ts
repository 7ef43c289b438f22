import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { parse } from 'csv-parse/sync';
import { SftpDestinationForm, type SftpDestination, type SftpDestinationsService } from '@opendsp/exports';
import { validateForm } from '@opendsp/i18n';
import { MEASUREMENT_KINDS, type MeasurementKind } from '@opendsp/measurements';

export type CsvRow = Record<string, string>;

/** A delivered CSV file, parsed. */
export interface DeliveredFile {
  path: string;
  rows: CsvRow[];
  bytes: Buffer;
}

/** Every delivered CSV file under the SFTP root (final names only), parsed. */
export function deliveredFiles(root: string, files: string[]): DeliveredFile[] {
  return files
    .filter((path) => path.endsWith('.csv'))
    .map((path) => {
      const bytes = readFileSync(join(root, path));
      return { path, bytes, rows: parse(bytes, { columns: true }) as CsvRow[] };
    });
}

/** The identity and values of a reading as both the database and a delivered file can tell them. */
export function readingKey(row: CsvRow, kind: MeasurementKind): string {
  const values =
    kind === 'blood_pressure'
      ? [row.systolic_mmhg, row.diastolic_mmhg, row.pulse_bpm, row.possible_afib]
      : kind === 'ecg'
        ? [row.classification, row.heart_rate_bpm, JSON.stringify(JSON.parse(row.waveform_uv))]
        : kind === 'weight'
          ? [row.weight_kg, row.body_fat_percent]
          : [];
  return [row.ogsc_id, row.group_id, row.internal_customer_id, row.measurement_id, row.measured_at_utc, row.change_seq, ...values].join(
    '|',
  );
}

/**
 * What a delivery of `kind` for `groupUuid` must contain, read straight from the tables with plain SQL (not
 * through the export code): consented participants' readings, as `readingKey` spells them.
 */
export async function expectedKeys(em: EntityManager, kind: MeasurementKind, groupUuid: string, afterSeq = '0'): Promise<string[]> {
  const table = MEASUREMENT_KINDS[kind].table;
  const extra =
    kind === 'blood_pressure'
      ? `, coalesce(r.systolic_mmhg::text, '') as a, coalesce(r.diastolic_mmhg::text, '') as b, coalesce(r.pulse_bpm::text, '') as c, r.possible_afib::text as d`
      : kind === 'ecg'
        ? `, r.classification as a, r.heart_rate_bpm::text as b, r.waveform_uv::text as c`
        : kind === 'weight'
          ? `, coalesce(r.weight_kg::text, '') as a, coalesce(r.body_fat_percent::text, '') as b`
          : '';
  const rows = await em.getConnection().execute<Record<string, string | null>[]>(
    `select p.ogsc_id, g.group_id, coalesce(e.internal_customer_id, '') as icid, r.upstream_id::text as mid,
        to_char(r.measured_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as utc, r.change_seq::text as seq ${extra}
       from ${table} r join enrollment e on e.participant_id = r.participant_id and e.group_id = ? and e.status = 'consented'
       join participant p on p.id = r.participant_id join program_group g on g.id = e.group_id
      where r.change_seq > ? order by r.change_seq`,
    [groupUuid, afterSeq],
  );
  return rows.map((row) => {
    const values =
      kind === 'ecg'
        ? [row.a, row.b, JSON.stringify(JSON.parse(row.c!))]
        : ['a', 'b', 'c', 'd'].filter((key) => key in row).map((key) => row[key]);
    return [row.ogsc_id, row.group_id, row.icid, row.mid, row.utc, row.seq, ...values].join('|');
  });
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Creates a destination the way the portal does: the form validated, then the service. */
export async function createDestination(service: SftpDestinationsService, values: Record<string, unknown>): Promise<SftpDestination> {
  const form = await validateForm(SftpDestinationForm, {
    name: 'Partner SFTP',
    host: '127.0.0.1',
    username: 'dsp',
    authMethod: 'password',
    remoteBaseDir: 'inbox',
    schedule: '0 3 * * *',
    enabled: 'on',
    ...values,
  });
  if (!form.ok) throw new Error(`invalid destination form: ${JSON.stringify(form.errors)}`);
  const outcome = await service.create(form.value, { login: 'test' });
  if (!outcome.ok) throw new Error(`destination refused: ${JSON.stringify(outcome.errors)}`);
  return outcome.destination;
}
