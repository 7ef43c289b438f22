import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { dspOrmConfig } from '@opendsp/database';
import { ProgramGroup } from '@opendsp/groups';
import {
  lockChangeSequence,
  MEASUREMENT_KINDS,
  ReadingsLanded,
  ReadingsRepository,
  type LandedPage,
  type MeasurementKind,
} from '@opendsp/measurements';
import { specExample, type SpecExampleName, SPEC_EXAMPLES } from '@opendsp/omron-api';
import { ConsentedParticipants, Enrollment, Participant } from '@opendsp/participants';
import { normaliseResult, ReadingWriter, type ActivityRow } from '@opendsp/sync';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const KIND_OF_EXAMPLE: Record<SpecExampleName, MeasurementKind> = {
  'blood-pressure': 'blood_pressure',
  'blood-pressure-afib': 'blood_pressure',
  'activity-hourly': 'activity',
  weight: 'weight',
  temperature: 'temperature',
  oxygen: 'oxygen',
};

describe('writing normalised readings into PostgreSQL (ReadingWriter)', () => {
  let database: TestDatabase;
  let orm: MikroORM;
  let participantId: string;
  const writer = new ReadingWriter();

  const write = (kind: MeasurementKind, rows: Parameters<ReadingWriter['write']>[3]) =>
    orm.em.fork().transactional(async (em: EntityManager) => {
      await lockChangeSequence(em);
      return writer.write(em, participantId, kind, rows);
    });
  const sql = <T>(text: string, params: unknown[] = []) => orm.em.fork().execute<T[]>(text, params);

  beforeAll(async () => {
    database = await createTestDatabase();
    orm = await MikroORM.init(dspOrmConfig(database.settings));
    const em = orm.em.fork();
    const participant = new Participant('omron_connect');
    const group = new ProgramGroup('Writer test');
    em.persist([
      participant,
      group,
      new Enrollment(participant, group, 'consented'),
      new Enrollment(participant, new ProgramGroup('Left'), 'withdrawn'),
    ]);
    await em.flush();
    participantId = participant.id;
  });
  afterAll(async () => {
    await orm?.close(true);
    await database?.drop();
  });

  it.each(Object.keys(SPEC_EXAMPLES) as SpecExampleName[])(
    'stores the spec example %s as its rows, and a replay changes nothing',
    async (name) => {
      const kind = KIND_OF_EXAMPLE[name];
      const rows = normaliseResult(kind, specExample(name).result as unknown as Record<string, unknown>);
      const first = await write(kind, rows);
      const table = MEASUREMENT_KINDS[kind].table;
      const [stored] = await sql<Record<string, unknown>>(`select * from "${table}" where "participant_id" = ? and "upstream_id" = ?`, [
        participantId,
        rows[0].upstream_id,
      ]);
      const { hourly: _hourly, ...columns } = rows[0] as ActivityRow;
      expect({
        ...stored,
        measured_at: new Date(stored.measured_at as string).toISOString(),
        upstream_id: String(stored.upstream_id),
      }).toMatchObject({
        ...columns,
        ...('upstream_id_ext' in columns ? { upstream_id_ext: String(columns.upstream_id_ext) } : {}),
      });
      // The two blood pressure examples share an id: the AFib one is a change of the first.
      expect(first).toEqual(name === 'blood-pressure-afib' ? { inserted: 0, updated: 1 } : { inserted: 1, updated: 0 });
      expect(await write(kind, rows)).toEqual({ inserted: 0, updated: 0 });
      const [again] = await sql<{ change_seq: string }>(`select change_seq::text from "${table}" where "upstream_id" = ?`, [
        rows[0].upstream_id,
      ]);
      expect(again.change_seq).toBe(String(stored.change_seq));
    },
  );

  it('keeps the hours of an activity day, and replaces them when they change', async () => {
    const [day] = normaliseResult('activity', specExample('activity-hourly').result as unknown as Record<string, unknown>);
    const hours = () => sql<{ hour: number; steps: number }>(`select h.hour, h.steps from activity_hourly_reading h order by h.hour`);
    expect(await hours()).toEqual([
      { hour: 0, steps: 0 },
      { hour: 1, steps: 0 },
    ]);
    const [before] = await sql<{ change_seq: string }>(`select change_seq::text from activity_reading`);
    // Only an hour changes (the day's totals stay): still a change of the reading.
    expect(await write('activity', [{ ...day, hourly: [[1, 40, 0, 2, 0.02]] }])).toEqual({ inserted: 0, updated: 1 });
    expect(await hours()).toEqual([{ hour: 1, steps: 40 }]);
    const [after] = await sql<{ change_seq: string }>(`select change_seq::text from activity_reading`);
    expect(BigInt(after.change_seq)).toBeGreaterThan(BigInt(before.change_seq));
    // An answer without hourly data leaves the stored hours alone.
    expect(await write('activity', [{ ...day, hourly: null }])).toEqual({ inserted: 0, updated: 0 });
    expect(await hours()).toEqual([{ hour: 1, steps: 40 }]);
  });

  it('stores fractional steps and calories rounded, and keeps the values as sent beside them (issue 15)', async () => {
    const example = specExample('activity-hourly').result as unknown as { activity: Record<string, unknown>[] } & Record<string, unknown>;
    const entry = { ...example.activity[0], id: 987654321, steps: 1234.6, calories: '210.4', aerobicSteps: 300 };
    const [day] = normaliseResult('activity', { ...example, activity: [entry] });
    expect((await write('activity', [day])).inserted).toBe(1);
    const [stored] = await sql<Record<string, unknown>>(
      `select steps, steps_original, aerobic_steps, aerobic_steps_original, calories_kcal, calories_original
         from activity_reading where participant_id = ? and upstream_id = 987654321`,
      [participantId],
    );
    expect(stored).toEqual({
      steps: 1235,
      steps_original: 1234.6,
      aerobic_steps: 300,
      aerobic_steps_original: null,
      calories_kcal: 210,
      calories_original: 210.4,
    });
  });

  it('records devices with first and last sighting, and the consented enrollment’s first and last reading', async () => {
    const devices = await sql<{ device_type: string; first_seen_at: Date; last_seen_at: Date }>(
      `select device_type, first_seen_at, last_seen_at from participant_device where participant_id = ? order by device_type`,
      [participantId],
    );
    expect(devices.map((device) => device.device_type)).toEqual([
      '7 Series Upper Arm',
      'HCR-6900T',
      'HN-300T2 Intelli IT',
      'M700 Intelli IT',
      'blesmart_00060002b87c6f2aeac4',
      'model_mc_280b_e',
    ]);
    const enrollments = await sql<{ status: string; first_reading_at: Date | null; last_reading_at: Date | null }>(
      `select status, first_reading_at, last_reading_at from enrollment where participant_id = ? order by status`,
      [participantId],
    );
    const at = (value: Date | string | null) => (value === null ? null : new Date(value));
    expect(
      enrollments.map((row) => ({ ...row, first_reading_at: at(row.first_reading_at), last_reading_at: at(row.last_reading_at) })),
    ).toEqual([
      { status: 'consented', first_reading_at: new Date('2021-12-09T00:00:00Z'), last_reading_at: new Date('2026-01-06T06:03:13Z') },
      { status: 'withdrawn', first_reading_at: null, last_reading_at: null },
    ]);
  });

  it('writes a thousand readings in a handful of statements, with increasing change sequence numbers', async () => {
    const statements: string[] = [];
    const rows = Array.from({ length: 1000 }, (_, index) => ({
      upstream_id: String(9_000_000 + index),
      measured_at: new Date(Date.UTC(2026, 0, 1) + index * 60_000).toISOString(),
      local_time: new Date(Date.UTC(2026, 0, 1, 9) + index * 60_000).toISOString().slice(0, 19),
      utc_offset_seconds: 32_400,
      device_type: 'HEM-7361T',
      systolic_mmhg: 110 + (index % 30),
      diastolic_mmhg: 70,
      pulse_bpm: 60,
      possible_afib: false,
    }));
    const result = await orm.em.fork().transactional(async (em: EntityManager) => {
      const connection = em.getConnection();
      const execute = connection.execute.bind(connection);
      connection.execute = ((query: string, ...rest: unknown[]) => {
        statements.push(query);
        return (execute as (...args: unknown[]) => unknown)(query, ...rest);
      }) as typeof connection.execute;
      try {
        await lockChangeSequence(em);
        return await writer.write(em, participantId, 'blood_pressure', rows);
      } finally {
        connection.execute = execute;
      }
    });
    expect(result).toEqual({ inserted: 1000, updated: 0 });
    expect(statements.length).toBeLessThanOrEqual(5);
    const seqs = await sql<{ change_seq: string }>(
      `select change_seq::text from blood_pressure_reading where upstream_id between 9000000 and 9000999 order by measured_at`,
    );
    const numbers = seqs.map((row) => BigInt(row.change_seq));
    expect(numbers.every((value, index) => index === 0 || value > numbers[index - 1])).toBe(true);
  });

  it('tells readings-landed listeners, in the write transaction, which readings were inserted or changed', async () => {
    const landed = new ReadingsLanded();
    const pages: LandedPage[] = [];
    landed.listen('recorder', async (em, page) => {
      // Inside the transaction: the page's rows are visible to the listener's own statements.
      const [{ count }] = await em.execute<{ count: string }[]>(
        `select count(*)::text as count from blood_pressure_reading where id::text = any(string_to_array(?, ','))`,
        [page.readings.map((reading) => reading.id).join(',')],
      );
      expect(Number(count)).toBe(page.readings.length);
      pages.push(page);
    });
    const listening = new ReadingWriter(new ReadingsRepository(), new ConsentedParticipants(), landed);
    const writeWith = (writer: ReadingWriter, rows: Parameters<ReadingWriter['write']>[3]) =>
      orm.em.fork().transactional(async (em: EntityManager) => {
        await lockChangeSequence(em);
        return writer.write(em, participantId, 'blood_pressure', rows);
      });
    const reading = (upstreamId: number, systolic: number) => ({
      upstream_id: String(upstreamId),
      measured_at: `2025-03-0${upstreamId % 9 || 1}T08:00:00.000Z`,
      local_time: `2025-03-0${upstreamId % 9 || 1}T08:00:00`,
      utc_offset_seconds: 0,
      device_type: 'HEM-7361T',
      systolic_mmhg: systolic,
      diastolic_mmhg: 80,
      pulse_bpm: 60,
      possible_afib: false,
    });

    await writeWith(listening, [reading(7100001, 120), reading(7100002, 181)]);
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ participantId, kind: 'blood_pressure', lane: 'fresh' });
    expect(pages[0].readings.map((r) => [r.row.upstream_id, r.inserted, r.row.systolic_mmhg])).toEqual(
      expect.arrayContaining([
        ['7100001', true, 120],
        ['7100002', true, 181],
      ]),
    );

    // A replay lands nothing; a changed value lands as not inserted.
    await writeWith(listening, [reading(7100001, 120), reading(7100002, 181)]);
    expect(pages).toHaveLength(1);
    await writeWith(listening, [reading(7100001, 120), reading(7100002, 185)]);
    expect(pages).toHaveLength(2);
    expect(pages[1].readings.map((r) => [r.row.upstream_id, r.inserted, r.row.systolic_mmhg])).toEqual([['7100002', false, 185]]);

    // A listener that fails rolls the page back with it.
    const failing = new ReadingsLanded();
    failing.listen('broken', async () => {
      throw new Error('listener failed');
    });
    const broken = new ReadingWriter(new ReadingsRepository(), new ConsentedParticipants(), failing);
    await expect(writeWith(broken, [reading(7100003, 130)])).rejects.toThrow('listener failed');
    expect(await sql(`select 1 from blood_pressure_reading where upstream_id = 7100003`)).toHaveLength(0);
  });
});
