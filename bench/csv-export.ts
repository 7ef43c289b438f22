// CSV export: rows per second and peak memory of a streamed export, next to `psql \copy (…) to … csv` of
// the same query in the same run. `npm run bench -- csv-export [rows]` (default 1,000,000) against
// DATABASE_URL (a real PostgreSQL server; psql must be installed). Peak RSS comes from GNU time for both
// processes; the export runs twice, on a tenth of the rows and on all of them, to show its memory stays flat.
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import { MikroORM } from '@mikro-orm/postgresql';
import { loadDspConfig } from '@opendsp/config';
import { dspOrmConfig, migrateDspDatabase } from '@opendsp/database';
import { CsvExportService } from '@opendsp/exports';
import { ProgramGroup } from '@opendsp/groups';
import { exportColumns, lockChangeSequence, NEXT_CHANGE_SEQ } from '@opendsp/measurements';
import { createTestDatabase, TEST_ENVIRONMENT, testServerUrl } from '../test/support/test-database.js';
import { testDspEnv } from '../test/support/test-environment.js';
import { printComparison, timed } from './support/report.js';

const run = promisify(execFile);
const PARTICIPANTS = 200;
const TIME_ZONE = 'Asia/Tokyo';

interface ExportRun {
  rows: number;
  bytes: number;
  seconds: number;
  rssBeforeMb: number;
  /** Live heap (after a full GC) before the first row, and the most it reached while exporting (sampled each second). */
  liveBeforeMb: number | null;
  liveMaxMb: number | null;
}

/** Child mode: one export to a file, in a process of its own so its peak RSS is its alone. */
async function exportOnce(url: string, groupId: string, file: string, participants: string[]): Promise<void> {
  const config = loadDspConfig(testDspEnv({ DATABASE_URL: url, DSP_TIMEZONE: TIME_ZONE }));
  const orm = await MikroORM.init(dspOrmConfig({ url, poolMax: 2 }));
  const service = new CsvExportService(orm.em, config);
  const out = createWriteStream(file);
  // With --expose-gc: what the export really keeps alive, garbage collected first.
  const gc = (globalThis as { gc?: () => void }).gc;
  const live = (): number | null => (gc ? (gc(), process.memoryUsage().heapUsed / 2 ** 20) : null);
  const liveBeforeMb = live();
  let liveMaxMb = liveBeforeMb;
  const sampler = gc ? setInterval(() => (liveMaxMb = Math.max(liveMaxMb!, live()!)), 1000) : undefined;
  const rssBeforeMb = process.memoryUsage().rss / 2 ** 20;
  const { seconds, result } = await timed(async () => {
    const written = await service.writeCsv(out, 'blood_pressure', { groupId, participants });
    await finished(out);
    return written;
  });
  clearInterval(sampler);
  await orm.close(true);
  const run: ExportRun = { rows: result.rows.blood_pressure ?? 0, bytes: result.bytes, seconds, rssBeforeMb, liveBeforeMb, liveMaxMb };
  console.log(JSON.stringify(run));
}

/** Runs a command under GNU time; returns its stdout and peak RSS in MB. */
async function measured(command: string, args: string[]): Promise<{ stdout: string; peakMb: number }> {
  const rssFile = join(tmpdir(), `opendsp-bench-rss-${process.pid}-${Date.now()}`);
  const { stdout } = await run('/usr/bin/time', ['-f', '%M', '-o', rssFile, command, ...args], { maxBuffer: 16 * 2 ** 20 });
  const peakMb = Number((await readFile(rssFile, 'utf8')).trim().split('\n').at(-1) ?? 0) / 1024;
  await rm(rssFile, { force: true });
  return { stdout, peakMb };
}

async function lineCount(file: string): Promise<number> {
  const { stdout } = await run('wc', ['-l', file]);
  return Number(stdout.trim().split(/\s+/)[0]);
}

async function main(total: number): Promise<void> {
  const server = testServerUrl();
  if (!server) throw new Error('this benchmark needs DATABASE_URL (a PostgreSQL server psql can reach)');
  // Migrated here rather than copied from the shared test template, which test runs of other branches may replace.
  const database = await createTestDatabase({ migrated: false });
  await migrateDspDatabase(database.settings, TEST_ENVIRONMENT);
  const url = database.settings.url;
  const files = {
    small: join(tmpdir(), 'opendsp-bench-small.csv'),
    full: join(tmpdir(), 'opendsp-bench-full.csv'),
    psql: join(tmpdir(), 'opendsp-bench-psql.csv'),
  };
  try {
    const orm = await MikroORM.init(dspOrmConfig(database.settings));
    const group = new ProgramGroup('Benchmark');
    await orm.em.fork().persist(group).flush();
    const em = orm.em.fork();
    const connection = em.getConnection();
    await connection.execute(
      `insert into participant (id, ogsc_id, enrollment_method, must_change_password, created_at, updated_at)
       select gen_random_uuid(), 'OG-' || upper(substr(md5(g::text), 1, 24)), 'omron_connect', false, now(), now() from generate_series(1, ?) g`,
      [PARTICIPANTS],
    );
    await connection.execute(
      `insert into enrollment (id, participant_id, group_id, status, internal_customer_id, consented_at, created_at, updated_at)
       select gen_random_uuid(), p.id, ?, 'consented', 'customer-' || row_number() over (order by p.id), now(), now(), now() from participant p`,
      [group.id],
    );
    const seeding = await timed(() =>
      orm.em.fork().transactional(async (tx) => {
        // The way every writer must: under the change-sequence lock, each row drawing its number.
        await lockChangeSequence(tx);
        await tx.getConnection().execute(
          `insert into blood_pressure_reading (participant_id, upstream_id, measured_at, local_time, utc_offset_seconds, device_type, change_seq,
             systolic_mmhg, diastolic_mmhg, pulse_bpm, possible_afib)
           select ids[1 + g % ${PARTICIPANTS}], g, timestamptz '2026-01-01 00:00:00+00' + g * interval '20 seconds',
             to_char(timestamp '2026-01-01 09:00:00' + g * interval '20 seconds', 'YYYY-MM-DD"T"HH24:MI:SS'), 32400, 'HEM-7600T',
             ${NEXT_CHANGE_SEQ}, 100 + g % 60, 60 + g % 40, 50 + g % 50, g % 97 = 0
           from generate_series(1, ?) g, (select array_agg(id order by id) as ids from participant) p`,
          [total],
          'run',
          tx.getTransactionContext(),
        );
      }),
    );
    await connection.execute('analyze');
    const ogscIds = (
      await connection.execute<{ ogsc_id: string }[]>(`select ogsc_id from participant order by id limit ?`, [PARTICIPANTS / 10])
    ).map((row) => row.ogsc_id);
    await orm.close(true);
    console.log(
      `seeded ${total.toLocaleString('en-US')} blood pressure readings of ${PARTICIPANTS} participants in ${seeding.seconds.toFixed(1)} s`,
    );

    const script = process.argv[1];
    const exportRun = async (file: string, participants: string[], sampleHeap: boolean): Promise<ExportRun & { peakMb: number }> => {
      const flags = sampleHeap ? ['--expose-gc'] : [];
      const { stdout, peakMb } = await measured(process.execPath, [
        ...flags,
        script,
        'export',
        url,
        group.groupId,
        file,
        participants.join(','),
      ]);
      return { ...(JSON.parse(stdout.trim().split('\n').at(-1)!) as ExportRun), peakMb };
    };
    const full = await exportRun(files.full, [], false);
    const smallSampled = await exportRun(files.small, ogscIds, true);
    const fullSampled = await exportRun(files.full, [], true);

    // The same rows, columns and order, straight out of PostgreSQL by psql, the tables joined by hand
    // (the export's `m`, the group's consented member, is the enrollment `e` and the participant `p` here).
    const select = exportColumns('blood_pressure')
      .map((column) => column.sql.replaceAll('m.ogsc_id', 'p.ogsc_id').replaceAll('m.internal_customer_id', 'e.internal_customer_id'))
      .map((sql, index) => `${sql.replaceAll('?', `'${TIME_ZONE}'`)} as c${index}`)
      .join(', ');
    const query = `select ${select} from blood_pressure_reading r
      join enrollment e on e.participant_id = r.participant_id and e.group_id = '${group.id}' and e.status = 'consented'
      join participant p on p.id = r.participant_id join program_group g on g.id = e.group_id
      order by r.participant_id, r.measured_at, r.id`.replace(/\s+/g, ' ');
    const psql = await timed(() => measured('psql', [url, '-X', '-q', '-c', `\\copy (${query}) to '${files.psql}' csv header`]));

    const [fullLines, psqlLines] = await Promise.all([lineCount(files.full), lineCount(files.psql)]);
    if (fullLines !== psqlLines || full.rows !== total)
      throw new Error(`row counts differ: export ${fullLines} lines, psql ${psqlLines} lines`);

    printComparison(
      'rows',
      { label: 'OpenDSP CSV export (COPY of SQL-made lines → Node → file)', count: full.rows, seconds: full.seconds },
      { label: 'psql \\copy of the same query', count: total, seconds: psql.seconds },
    );
    const mb = (value: number) => `${value.toFixed(0)} MB`;
    const rows = (value: number) => value.toLocaleString('en-US');
    console.log(
      `peak RSS: export ${mb(full.peakMb)} (${mb(full.rssBeforeMb)} after start-up, before the first row), psql ${mb(psql.result.peakMb)}`,
    );
    const live = (sampled: ExportRun) =>
      `live heap ${mb(sampled.liveBeforeMb!)} before the first row, at most ${mb(sampled.liveMaxMb!)} while exporting`;
    console.log(`${rows(smallSampled.rows)} rows: ${live(smallSampled)}; peak RSS ${mb(smallSampled.peakMb)}`);
    console.log(
      `${rows(fullSampled.rows)} rows: ${live(fullSampled)}; peak RSS ${mb(fullSampled.peakMb)} (file ${mb(fullSampled.bytes / 2 ** 20)})`,
    );
  } finally {
    await Promise.all(Object.values(files).map((file) => rm(file, { force: true })));
    await database.drop();
  }
}

if (process.argv[2] === 'export') {
  const [, , , url, groupId, file, participants] = process.argv;
  await exportOnce(url, groupId, file, participants ? participants.split(',') : []);
} else {
  await main(Number(process.argv[2] ?? 1_000_000));
}
