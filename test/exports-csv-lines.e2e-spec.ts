import { PassThrough } from 'node:stream';
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { loadDspConfig } from '@opendsp/config';
import { dspOrmConfig } from '@opendsp/database';
import { CsvExportService } from '@opendsp/exports';
import { ProgramGroup } from '@opendsp/groups';
import { exportColumns, MEASUREMENT_KIND_NAMES, MEASUREMENT_KINDS, type MeasurementKind } from '@opendsp/measurements';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { addParticipant, insertReadings, sampleValues } from './support/readings.js';
import { testDspEnv } from './support/test-environment.js';

// PostgreSQL now writes each CSV line (quoting, formula escaping, offsets). This holds it to the rules the
// JavaScript formatter before it followed, byte for byte, on the values most likely to differ.

/** Text cells that quoting or formula escaping must handle. */
const AWKWARD = [
  '=1+2',
  '+81 3',
  '-5',
  '@SUM(A1)',
  '\tTab',
  '\rCR',
  'a,b',
  'say "hi"',
  'line\nbreak',
  'crlf\r\nend',
  '',
  '山田,"花子"',
  "'quoted'",
  'back\\slash',
  'plain',
];
/** Offsets in seconds: whole, half and quarter hours, both signs, the extremes. */
const OFFSETS = [32400, -18000, -34200, 20700, 0, 50400, -43200, -1800];

function formatOffset(seconds: number): string {
  const abs = Math.abs(seconds);
  const hours = String(Math.floor(abs / 3600)).padStart(2, '0');
  const minutes = String(Math.floor((abs % 3600) / 60)).padStart(2, '0');
  return `${seconds < 0 ? '-' : '+'}${hours}:${minutes}`;
}

/** The line a kind's raw row (PostgreSQL's text output of `exportColumns`) makes, as the JavaScript formatter wrote it. */
function expectedLine(kind: MeasurementKind, row: (string | null)[], escapeFormulas: boolean): string {
  return exportColumns(kind)
    .map((column, index) => {
      const value = row[index];
      if (value == null) return '';
      const text =
        column.type === 'offset'
          ? formatOffset(Number(value))
          : column.type === 'text' && escapeFormulas && /^[=+\-@\t\r]/.test(value)
            ? `'${value}`
            : value;
      return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
    })
    .join(',');
}

describe('CSV lines made by PostgreSQL', () => {
  const timeZone = 'America/St_Johns'; // −03:30 and −02:30: a negative zone off the whole hour
  let database: TestDatabase;
  let orm: MikroORM;
  let service: CsvExportService;
  let group: ProgramGroup;

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url, DSP_TIMEZONE: timeZone }));
    orm = await MikroORM.init(dspOrmConfig(database.settings));
    service = new CsvExportService(orm.em, config);
    group = new ProgramGroup('Awkward values');
    await orm.em.fork().persist(group).flush();
    const em = orm.em.fork();
    let upstreamId = 1;
    for (const [index, text] of AWKWARD.entries()) {
      const participant = await addParticipant(em, group, { internalCustomerId: text === '' ? null : `${text}#${index}` });
      for (const kind of MEASUREMENT_KIND_NAMES) {
        await insertReadings(
          em,
          kind,
          participant,
          OFFSETS.map((offset, n) => ({
            upstreamId: upstreamId++,
            measuredAt: new Date(Date.UTC(2026, 2 + n, 8, 5, 30, 15)),
            utcOffsetSeconds: offset,
            localTime: text,
            deviceType: n % 2 ? text : `HEM-${text}`,
            values: sampleValues(kind, n),
          })),
        );
      }
    }
  });

  afterAll(async () => {
    await orm?.close(true);
    await database?.drop();
  });

  async function exported(kind: MeasurementKind, escapeFormulas: boolean): Promise<string> {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    await service.writeCsv(out, kind, { groupId: group.groupId }, { escapeFormulas });
    return Buffer.concat(chunks).toString('utf8');
  }

  /** The raw values, in export order, as PostgreSQL prints them. */
  async function rawRows(kind: MeasurementKind): Promise<(string | null)[][]> {
    const client = new pg.Client({ connectionString: database.settings.url });
    await client.connect();
    try {
      const select = exportColumns(kind)
        .map((column) => column.sql.replaceAll('?', `'${timeZone}'`))
        .join(', ');
      const result = await client.query<(string | null)[]>({
        text: `select ${select} from ${MEASUREMENT_KINDS[kind].table} r
          join (select e.participant_id, p.ogsc_id, e.internal_customer_id from enrollment e join participant p on p.id = e.participant_id
                 where e.group_id = $1 and e.status = 'consented') m on m.participant_id = r.participant_id
          cross join (select group_id from program_group where id = $1) g order by r.participant_id, r.measured_at, r.id`,
        values: [group.id],
        rowMode: 'array',
        types: { getTypeParser: () => (value: string) => value },
      });
      return result.rows;
    } finally {
      await client.end();
    }
  }

  it.each(MEASUREMENT_KIND_NAMES)(
    '%s: every line is what the JavaScript formatter wrote, with and without formula escaping',
    async (kind) => {
      const raw = await rawRows(kind);
      expect(raw).toHaveLength(AWKWARD.length * OFFSETS.length);
      for (const escapeFormulas of [true, false]) {
        const header = exportColumns(kind)
          .map((column) => column.name)
          .join(',');
        const expected = [header, ...raw.map((row) => expectedLine(kind, row, escapeFormulas))].join('\r\n') + '\r\n';
        expect(await exported(kind, escapeFormulas)).toBe(expected);
      }
    },
  );
});
