import { PassThrough, Writable } from 'node:stream';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { parse } from 'csv-parse/sync';
import { loadDspConfig, type DspConfig } from '@opendsp/config';
import { CsvExportService, ExportAbortedError, ExportFilterError, type CsvExportFilter, type CsvWriteOptions } from '@opendsp/exports';
import { ProgramGroup } from '@opendsp/groups';
import { exportColumns, type ExportKind } from '@opendsp/measurements';
import type { Participant } from '@opendsp/participants';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { addParticipant, enroll, insertActivityHours, insertReadings, sampleValues, series } from './support/readings.js';
import { testDspEnv } from './support/test-environment.js';
import { unzip } from './support/unzip.js';

type Row = Record<string, string>;

/** Collects what an export writes. */
function sink(): { stream: PassThrough; bytes: () => Buffer } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, bytes: () => Buffer.concat(chunks) };
}

describe(CsvExportService.name, () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let config: DspConfig;
  let exports: CsvExportService;
  let em: EntityManager;
  let group: ProgramGroup;
  let other: ProgramGroup;
  let alice: Participant;
  let hanako: Participant;
  let withdrawn: Participant;
  let invited: Participant;

  async function exportBytes(kind: ExportKind, filter: CsvExportFilter, options: CsvWriteOptions = {}, service = exports): Promise<Buffer> {
    const out = sink();
    await service.writeCsv(out.stream, kind, filter, options);
    return out.bytes();
  }

  async function exportRows(kind: ExportKind, filter: CsvExportFilter, options: CsvWriteOptions = {}, service = exports): Promise<Row[]> {
    return parse(await exportBytes(kind, filter, options, service), { columns: true, bom: true }) as Row[];
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    config = loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url, PROCESS_ROLE: 'web' }));
    app = await createDspApp(config);
    await app.init();
    exports = app.get(CsvExportService);
    em = app.get(MikroORM).em.fork();
    group = new ProgramGroup('Hypertension study');
    other = new ProgramGroup('Other study');
    await em.persist([group, other]).flush();

    alice = await addParticipant(em, group, { internalCustomerId: '=HYPERLINK("http://evil.example","click")' });
    hanako = await addParticipant(em, group, { internalCustomerId: '山田花子-0001' });
    withdrawn = await addParticipant(em, group, { status: 'withdrawn', internalCustomerId: 'gone-1' });
    invited = await addParticipant(em, group, { status: 'invited', internalCustomerId: 'not-yet-1' });
    await enroll(em, alice, other);

    await insertReadings(em, 'blood_pressure', alice, [
      // 19:00:05 in Tokyo; the participant was in New York (UTC-5) at the time.
      {
        upstreamId: 101,
        measuredAt: new Date('2026-11-23T10:00:05Z'),
        utcOffsetSeconds: -5 * 3600,
        deviceType: '+HEM-7600T',
        values: { systolic_mmhg: 128, diastolic_mmhg: 82, pulse_bpm: 61, possible_afib: false },
      },
      // Possible AFib: OMRON sends 0, stored as null.
      {
        upstreamId: 102,
        measuredAt: new Date('2026-11-24T15:30:00Z'),
        values: { systolic_mmhg: null, diastolic_mmhg: null, pulse_bpm: 97, possible_afib: true },
      },
    ]);
    await insertReadings(em, 'blood_pressure', hanako, [
      {
        upstreamId: 201,
        measuredAt: new Date('2026-11-30T14:59:59Z'),
        deviceType: 'オムロン 上腕式血圧計',
        values: { systolic_mmhg: 119, diastolic_mmhg: 77, pulse_bpm: 70, possible_afib: false },
      },
      {
        upstreamId: 202,
        measuredAt: new Date('2026-11-30T15:00:00Z'),
        deviceType: '@HEM',
        values: { systolic_mmhg: 121, diastolic_mmhg: 79, pulse_bpm: 68, possible_afib: false },
      },
    ]);
    await insertReadings(em, 'blood_pressure', withdrawn, series(3, { firstId: 301 }));
    await insertReadings(em, 'blood_pressure', invited, series(2, { firstId: 401 }));
    await insertReadings(em, 'temperature', alice, [
      {
        upstreamId: 501,
        measuredAt: new Date('2026-11-25T00:00:00Z'),
        deviceType: '-MC-6800B',
        values: { temperature_c: -1.5, temperature_original: 29.3, temperature_unit: '°F' },
      },
      {
        upstreamId: 502,
        measuredAt: new Date('2026-11-25T01:00:00Z'),
        deviceType: '\tMC',
        values: { temperature_c: 36.6, temperature_original: 36.6, temperature_unit: '\r=1+1' },
      },
    ]);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('writes the documented columns, times in the environment’s zone with UTC and offsets, numbers as numbers', async () => {
    const rows = await exportRows('blood_pressure', { groupId: group.groupId });
    expect(Object.keys(rows[0])).toEqual(exportColumns('blood_pressure').map((column) => column.name));
    expect(rows.map((row) => row.measurement_id)).toEqual(expect.arrayContaining(['101', '102', '201', '202']));
    expect(rows).toHaveLength(4);
    expect(rows.find((row) => row.measurement_id === '101')).toMatchObject({
      ogsc_id: alice.ogscId,
      group_id: group.groupId,
      measured_at: '2026-11-23T19:00:05',
      utc_offset: '+09:00',
      measured_at_utc: '2026-11-23T10:00:05Z',
      device_local_time: '2026-11-23T05:00:05',
      device_utc_offset: '-05:00',
      systolic_mmhg: '128',
      diastolic_mmhg: '82',
      pulse_bpm: '61',
      possible_afib: 'false',
    });
    expect(rows.find((row) => row.measurement_id === '102')).toMatchObject({
      systolic_mmhg: '',
      diastolic_mmhg: '',
      pulse_bpm: '97',
      possible_afib: 'true',
    });
    // Crossing midnight in Tokyo.
    expect(rows.find((row) => row.measurement_id === '202')).toMatchObject({
      measured_at: '2026-12-01T00:00:00',
      measured_at_utc: '2026-11-30T15:00:00Z',
    });
    // Rows of one participant stay together, in time order.
    const owners = rows.map((row) => row.ogsc_id);
    expect(owners.indexOf(alice.ogscId) + 1).toBe(owners.lastIndexOf(alice.ogscId));
  });

  it('follows daylight saving time of the environment’s zone in measured_at and utc_offset', async () => {
    const newYork = new CsvExportService(em, {
      ...config,
      environment: { ...config.environment, timezone: 'America/New_York' },
    } as DspConfig);
    const rows = await exportRows('blood_pressure', { groupId: group.groupId }, {}, newYork);
    expect(rows.find((row) => row.measurement_id === '101')).toMatchObject({ measured_at: '2026-11-23T05:00:05', utc_offset: '-05:00' });
    const summer = await addParticipant(em, group);
    await insertReadings(em, 'blood_pressure', summer, [{ upstreamId: 901, measuredAt: new Date('2026-07-04T16:00:00Z') }]);
    const july = await exportRows('blood_pressure', { groupId: group.groupId, participants: [summer.ogscId] }, {}, newYork);
    expect(july).toEqual([
      expect.objectContaining({ measured_at: '2026-07-04T12:00:00', utc_offset: '-04:00', measured_at_utc: '2026-07-04T16:00:00Z' }),
    ]);
  });

  it('escapes text cells starting with = + - @ tab or CR against formula injection, and leaves negative numbers alone', async () => {
    const bp = await exportRows('blood_pressure', { groupId: group.groupId, participants: [alice.ogscId] });
    expect(bp[0].internal_customer_id).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect(bp.find((row) => row.measurement_id === '101')!.device_type).toBe(`'+HEM-7600T`);
    const temperature = await exportRows('temperature', { groupId: group.groupId });
    expect(temperature.map((row) => [row.device_type, row.temperature_c, row.temperature_unit])).toEqual([
      [`'-MC-6800B`, '-1.5', '°F'],
      [`'\tMC`, '36.6', `'\r=1+1`],
    ]);
    // The offset column is not text either: "-05:00" stays as it is.
    expect(bp.find((row) => row.measurement_id === '101')!.device_utc_offset).toBe('-05:00');
    const hanakos = await exportRows('blood_pressure', { groupId: group.groupId, participants: [hanako.ogscId] });
    expect(hanakos.map((row) => row.device_type)).toEqual(['オムロン 上腕式血圧計', `'@HEM`]);

    // Machine-facing files (SFTP) can ask for the raw values.
    const raw = await exportRows('temperature', { groupId: group.groupId }, { escapeFormulas: false });
    expect(raw.map((row) => [row.device_type, row.temperature_unit])).toEqual([
      ['-MC-6800B', '°F'],
      ['\tMC', '\r=1+1'],
    ]);
  });

  it('round-trips Japanese text as UTF-8, with a byte order mark when asked', async () => {
    const withBom = await exportBytes('blood_pressure', { groupId: group.groupId, participants: ['山田花子-0001'] }, { bom: true });
    expect([...withBom.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(withBom.toString('utf8').slice(1), { columns: true }) as Row[];
    expect(rows.map((row) => [row.internal_customer_id, row.device_type])).toEqual([
      ['山田花子-0001', 'オムロン 上腕式血圧計'],
      ['山田花子-0001', `'@HEM`],
    ]);
    const withoutBom = await exportBytes('blood_pressure', { groupId: group.groupId, participants: ['山田花子-0001'] });
    expect(withoutBom.subarray(0, 7).toString('utf8')).toBe('ogsc_id');
    expect(withoutBom.equals(withBom.subarray(3))).toBe(true);
  });

  it('leaves out withdrawn and not-yet-consented participants, and exports only the chosen group', async () => {
    const rows = await exportRows('blood_pressure', { groupId: group.groupId });
    const owners = new Set(rows.map((row) => row.ogsc_id));
    expect(owners.has(withdrawn.ogscId)).toBe(false);
    expect(owners.has(invited.ogscId)).toBe(false);
    // Named explicitly, a withdrawn participant is found but still exports nothing.
    expect(await exportRows('blood_pressure', { groupId: group.groupId, participants: ['gone-1'] })).toEqual([]);
    // Alice is in the other group too, with its own (empty) internal customer ID.
    const elsewhere = await exportRows('blood_pressure', { groupId: other.groupId });
    expect(elsewhere.map((row) => [row.ogsc_id, row.group_id, row.internal_customer_id])).toEqual([
      [alice.ogscId, other.groupId, ''],
      [alice.ogscId, other.groupId, ''],
    ]);
  });

  it('filters by participants (OGSC ID or internal customer ID) and by a time range, and refuses unknown ones before writing', async () => {
    const byBoth = await exportRows('blood_pressure', { groupId: group.groupId, participants: [alice.ogscId, '山田花子-0001'] });
    expect(byBoth).toHaveLength(4);
    const range = await exportRows('blood_pressure', {
      groupId: group.groupId,
      from: new Date('2026-11-24T00:00:00+09:00'),
      to: new Date('2026-12-01T00:00:00+09:00'),
    });
    expect(range.map((row) => row.measurement_id).sort()).toEqual(['102', '201']);

    const out = sink();
    await expect(
      exports.writeCsv(out.stream, 'blood_pressure', { groupId: group.groupId, participants: ['OG-NOPE', alice.ogscId, 'x-9'] }),
    ).rejects.toMatchObject({
      problem: 'unknown_participants',
      unknown: ['OG-NOPE', 'x-9'],
    });
    await expect(exports.writeCsv(out.stream, 'blood_pressure', { groupId: 'ZZZZZZZZZZZZ' })).rejects.toBeInstanceOf(ExportFilterError);
    await expect(
      exports.writeCsv(out.stream, 'blood_pressure', { groupId: group.groupId, from: new Date('2026-12-01'), to: new Date('2026-11-01') }),
    ).rejects.toMatchObject({ problem: 'bad_range' });
    expect(out.bytes().length).toBe(0);
    expect(out.stream.writableEnded).toBe(false);
  });

  it('pages through many rows with equal timestamps exactly once each, honouring backpressure', async () => {
    const crowd = await addParticipant(em, group);
    // Blocks of 1,000 readings share a timestamp, so pages break inside runs of equal (participant, time).
    const readings = Array.from({ length: 12_345 }, (_, i) => ({
      upstreamId: 100_000 + i,
      measuredAt: new Date(Date.UTC(2026, 10, 1, Math.floor(i / 1000))),
    }));
    await insertReadings(em, 'blood_pressure', crowd, readings);

    let maxBuffered = 0;
    let largestChunk = 0;
    const chunks: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        setImmediate(done);
      },
    });
    const originalWrite = slow.write.bind(slow);
    slow.write = ((chunk: string, ...rest: never[]) => {
      largestChunk = Math.max(largestChunk, Buffer.byteLength(chunk));
      const ok = originalWrite(chunk, ...rest);
      maxBuffered = Math.max(maxBuffered, slow.writableLength);
      return ok;
    }) as typeof slow.write;
    const result = await exports.writeCsv(slow, 'blood_pressure', { groupId: group.groupId, participants: [crowd.ogscId] });
    const rows = parse(Buffer.concat(chunks), { columns: true }) as Row[];
    expect(result.rows).toEqual({ blood_pressure: 12_345 });
    expect(result.bytes).toBe(Buffer.concat(chunks).length);
    const ids = rows.map((row) => Number(row.measurement_id));
    expect(new Set(ids).size).toBe(12_345);
    expect(Math.min(...ids)).toBe(100_000);
    expect(Math.max(...ids)).toBe(112_344);
    // Never more than one page waits in the stream's buffer: the export waited for it to drain.
    expect(maxBuffered).toBeLessThanOrEqual(largestChunk + 16 * 1024);
    expect(maxBuffered).toBeLessThan(result.bytes / 2);
  });

  it('stops when the reader goes away', async () => {
    const out = new PassThrough({ highWaterMark: 1024 });
    const crowd = await addParticipant(em, group);
    await insertReadings(em, 'blood_pressure', crowd, series(20_000, { firstId: 500_000 }));
    const writing = exports.writeCsv(out, 'blood_pressure', { groupId: group.groupId, participants: [crowd.ogscId] });
    setTimeout(() => out.destroy(), 50);
    await expect(writing).rejects.toBeInstanceOf(ExportAbortedError);
  });

  it('puts several kinds in a zip, one CSV file per kind, with ECG waveforms as JSON arrays', async () => {
    await insertReadings(em, 'ecg', hanako, [{ upstreamId: 701, measuredAt: new Date('2026-11-26T03:00:00Z') }]);
    await insertReadings(em, 'weight', hanako, [{ upstreamId: 801, measuredAt: new Date('2026-11-26T22:00:00Z') }]);
    const prepared = await exports.prepare(['ecg', 'blood_pressure', 'weight'], {
      groupId: group.groupId,
      participants: [hanako.ogscId],
      from: new Date('2026-11-01T00:00:00+09:00'),
      to: new Date('2026-12-01T00:00:00+09:00'),
    });
    expect(prepared).toMatchObject({ fileName: `${group.groupId}_20261101-20261130.zip`, contentType: 'application/zip' });
    const out = sink();
    const result = await prepared.write(out.stream);
    expect(result.rows).toEqual({ blood_pressure: 1, weight: 1, ecg: 1 });
    expect(result.bytes).toBe(out.bytes().length);
    const files = unzip(out.bytes());
    expect([...files.keys()]).toEqual(['blood_pressure.csv', 'weight.csv', 'ecg.csv']);
    const ecg = parse(files.get('ecg.csv')!, { columns: true }) as Row[];
    expect(Object.keys(ecg[0])).toEqual(exportColumns('ecg').map((column) => column.name));
    expect(JSON.parse(ecg[0].waveform_uv)).toEqual(sampleValues('ecg', 0).waveform_uv);
    const weight = parse(files.get('weight.csv')!, { columns: true }) as Row[];
    expect(weight[0]).toMatchObject({
      measurement_id: '801',
      weight_kg: '60',
      weight_unit: 'kg',
      body_fat_percent: '',
      measurement_id_ext: '',
    });

    const single = await exports.prepare(['blood_pressure'], { groupId: group.groupId });
    expect(single).toMatchObject({ fileName: `${group.groupId}_blood_pressure.csv`, contentType: 'text/csv; charset=utf-8' });
  });

  it('writes an activity day’s hours as their own kind, one row per hour, ordered by participant, day and hour, exactly the database’s rows', async () => {
    await insertReadings(em, 'activity', hanako, [
      { upstreamId: 612, measuredAt: new Date('2026-11-21T15:00:00Z') },
      { upstreamId: 611, measuredAt: new Date('2026-11-20T15:00:00Z') },
    ]);
    await insertReadings(em, 'activity', alice, [{ upstreamId: 601, measuredAt: new Date('2026-11-20T15:00:00Z') }]);
    await insertReadings(em, 'activity', withdrawn, [{ upstreamId: 621, measuredAt: new Date('2026-11-20T15:00:00Z') }]);
    await insertActivityHours(em, hanako, 612, [9, 8]);
    await insertActivityHours(
      em,
      hanako,
      611,
      Array.from({ length: 24 }, (_, hour) => 23 - hour),
    );
    await insertActivityHours(em, alice, 601, [0, 23]);
    await insertActivityHours(em, withdrawn, 621, [5]);

    const rows = await exportRows('activity_hourly', { groupId: group.groupId });
    expect(Object.keys(rows[0])).toEqual(exportColumns('activity_hourly').map((column) => column.name));
    const expected = await em.getConnection().execute<Row[]>(
      `select p.ogsc_id, a.upstream_id::text as measurement_id, h.hour::text as hour, h.steps::text as steps,
              h.aerobic_steps::text as aerobic_steps, h.calories_kcal::text as calories_kcal,
              h.distance_original::text as distance_original, a.change_seq::text as change_seq
         from activity_hourly_reading h join activity_reading a on a.id = h.activity_id join participant p on p.id = a.participant_id
        where a.participant_id in (?, ?)
        order by a.participant_id, a.measured_at, a.id, h.hour`,
      [alice.id, hanako.id],
    );
    expect(expected).toHaveLength(24 + 2 + 2);
    expect(
      rows.map(({ ogsc_id, measurement_id, hour, steps, aerobic_steps, calories_kcal, distance_original, change_seq }) => ({
        ogsc_id,
        measurement_id,
        hour,
        steps,
        aerobic_steps,
        calories_kcal,
        distance_original,
        change_seq,
      })),
    ).toEqual(expected.map((row) => ({ ...row })));
    // The day's own columns lead every hour's row.
    expect(rows.find((row) => row.measurement_id === '611')).toMatchObject({
      measured_at: '2026-11-21T00:00:00',
      utc_offset: '+09:00',
      hour: '0',
    });

    // Through the zip too, beside the days.
    const prepared = await exports.prepare(['activity_hourly', 'activity'], { groupId: group.groupId, participants: [alice.ogscId] });
    const out = sink();
    const result = await prepared.write(out.stream);
    expect(result.rows).toEqual({ activity: 1, activity_hourly: 2 });
    expect([...unzip(out.bytes()).keys()]).toEqual(['activity.csv', 'activity_hourly.csv']);
  });
});
