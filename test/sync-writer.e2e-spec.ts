import { jest } from '@jest/globals';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import { AlertLabels, AlertRaising } from '@opendsp/alerts';
import { loadDspConfig } from '@opendsp/config';
import { dspOrmConfig } from '@opendsp/database';
import { ProgramGroup } from '@opendsp/groups';
import { ReadingDays } from '@opendsp/insights';
import {
  composeLanded,
  executeBound,
  lockChangeSequence,
  MEASUREMENT_KINDS,
  ReadingsLanded,
  ReadingsRepository,
  type LandedPage,
  type MeasurementKind,
} from '@opendsp/measurements';
import { specExample, type SpecExampleName, SPEC_EXAMPLES } from '@opendsp/omron-api';
import { ConsentedParticipants, Enrollment, Participant, ParticipantReadingsPort } from '@opendsp/participants';
import { normaliseResult, ReadingWriter, type ActivityRow } from '@opendsp/sync';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { testDspEnv } from './support/test-environment.js';

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

  it('sends a plain page’s enrollment update and both derived rooms’ work (alerts, adherence) in one composed statement', async () => {
    const em = orm.em.fork();
    const participant = new Participant('omron_connect');
    const group = new ProgramGroup('Composed page');
    em.persist([participant, group, new Enrollment(participant, group, 'consented')]);
    await em.flush();
    await sql(
      `insert into alert_rule_set (group_id, bp_crisis_enabled, systolic_at_least, diastolic_at_least, afib_enabled, no_reading_enabled,
         no_reading_days, no_reading_min_readings, reconnect_enabled, updated_at)
       values (?, true, 180, 120, true, true, 7, 8, true, now())`,
      [group.id],
    );
    // A silence the page ends: its open no_reading alert, about a last reading before the page's.
    await sql(
      `insert into alert (id, group_id, participant_id, rule, status, raised_at, measured_at, detail)
       values (gen_random_uuid(), ?, ?, 'no_reading', 'open', now(), '2025-01-01T00:00:00Z', '{}')`,
      [group.id, participant.id],
    );
    const config = loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url }));
    const readings = new ReadingsRepository();
    const landed = new ReadingsLanded();
    const raising = new AlertRaising(new AlertLabels(new ConsentedParticipants(), config), config);
    landed.listen('alerts', (tx, page) => raising.onLanded(tx, page));
    const readingDays = new ReadingDays(landed, readings, new ParticipantReadingsPort());
    landed.listen('insights.reading-days', (tx, page) => readingDays.pageLanded(tx, page));
    const derived = new ReadingWriter(readings, new ConsentedParticipants(), landed);
    const plain = new ReadingWriter(readings, new ConsentedParticipants(), new ReadingsLanded());
    const reading = (upstreamId: number, day: string, systolic: number) => ({
      upstream_id: String(upstreamId),
      measured_at: `${day}T08:00:00.000Z`,
      local_time: `${day}T17:00:00`,
      utc_offset_seconds: 32_400,
      device_type: 'HEM-7361T',
      systolic_mmhg: systolic,
      diastolic_mmhg: 80,
      pulse_bpm: 60,
      possible_afib: false,
    });
    // Every query sent to PostgreSQL by this process while a page is written (nothing else runs meanwhile).
    const roundTrips = async (writer: ReadingWriter, rows: Parameters<ReadingWriter['write']>[3]) => {
      const query = jest.spyOn(pg.Client.prototype, 'query');
      try {
        await orm.em.fork().transactional(async (tx: EntityManager) => {
          await lockChangeSequence(tx);
          await writer.write(tx, participant.id, 'blood_pressure', rows);
        });
        return query.mock.calls.length;
      } finally {
        query.mockRestore();
      }
    };

    // Two pages of the same shape (two new readings, one day, under every alert line), one without listeners.
    const withoutListeners = await roundTrips(plain, [reading(7200001, '2025-04-01', 120), reading(7200002, '2025-04-01', 125)]);
    const withBoth = await roundTrips(derived, [reading(7200003, '2025-04-02', 130), reading(7200004, '2025-04-02', 135)]);
    expect(withoutListeners).toBeGreaterThanOrEqual(4);
    // The page ends a silence: its probe says so and the resolution follows, one more statement (rare: once a silence).
    expect(withBoth).toBe(withoutListeners + 1);

    // And the composed statement did each part's work: reading times, the silence resolved, the day counted.
    const [enrollment] = await sql<{ last: string }>(
      `select last_reading_at as last from enrollment where participant_id = ? and group_id = ?`,
      [participant.id, group.id],
    );
    expect(new Date(enrollment.last).toISOString()).toBe('2025-04-02T08:00:00.000Z');
    expect(await sql(`select status, resolution from alert where participant_id = ?`, [participant.id])).toEqual([
      { status: 'resolved', resolution: 'new_reading' },
    ]);
    expect(
      await sql(
        `select month::text as month, days, systolic_sum[2]::int as systolic from participant_reading_month where participant_id = ?`,
        [participant.id],
      ),
    ).toEqual([{ month: '2025-04-01', days: 0b10, systolic: 265 }]);

    // The usual page, under every line and ending no silence, costs no round trip beyond the plain page's.
    expect(await roundTrips(derived, [reading(7200010, '2025-04-02', 131)])).toBe(withoutListeners);

    // The composed statement is prepared on its connection (parsed and planned once there, not on every page).
    const prepared = await orm.em.fork().transactional(async (tx: EntityManager) => {
      await lockChangeSequence(tx);
      await derived.write(tx, participant.id, 'blood_pressure', [reading(7200006, '2025-04-02', 128)]);
      return tx.execute<{ statement: string }[]>(`select statement from pg_prepared_statements where name like 'opendsp\\_%'`);
    });
    expect(prepared.some(({ statement }) => statement.includes('participant_reading_month') && statement.includes('alert_rule_set'))).toBe(
      true,
    );

    // A small page over the crisis line with a possible-AFib reading: the composed statement's probe finds rules
    // to raise, and both alerts and their webhook deliveries follow in ONE more statement.
    await sql(
      `insert into webhook_endpoint (id, url, description, event_types, group_ids, secret_ciphertext, enabled, readings_through_seq,
         connection_events_through_id, created_at, updated_at)
       values (gen_random_uuid(), 'https://partner.example/a', 'subscribed', '["alert.raised"]', ?::jsonb, 'unused', true, 0, 0, now(), now()),
              (gen_random_uuid(), 'https://partner.example/b', 'another event', '["participant.consented"]', ?::jsonb, 'unused', true, 0, 0, now(), now()),
              (gen_random_uuid(), 'https://partner.example/c', 'another group', '["alert.raised"]', '[]', 'unused', true, 0, 0, now(), now()),
              (gen_random_uuid(), 'https://partner.example/d', 'disabled', '["alert.raised"]', ?::jsonb, 'unused', false, 0, 0, now(), now())`,
      [JSON.stringify([group.id]), JSON.stringify([group.id]), JSON.stringify([group.id])],
    );
    const raisingTrips = await roundTrips(derived, [
      reading(7200005, '2025-04-03', 185),
      { ...reading(7200007, '2025-04-03', 120), possible_afib: true },
    ]);
    expect(raisingTrips).toBe(withoutListeners + 1);
    const alerts = await sql<{ id: string; rule: string; reading: string }>(
      `select id::text, rule, reading_id::text as reading from alert where participant_id = ? and status = 'open' order by rule`,
      [participant.id],
    );
    expect(alerts.map(({ rule }) => rule)).toEqual(['bp_crisis', 'possible_afib']);
    const deliveries = await sql<{
      id: string;
      url: string;
      event_type: string;
      body: string;
      status: string;
      attempts: number;
      due: boolean;
    }>(
      `select d.id, e.url, d.event_type, d.body, d.status, d.attempts, d.next_attempt_at <= now() as due
         from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id order by d.body`,
    );
    // One delivery per alert, to the one enabled endpoint subscribed to alert.raised for the group.
    expect(deliveries.map(({ url, event_type, status, attempts, due }) => ({ url, event_type, status, attempts, due }))).toEqual([
      { url: 'https://partner.example/a', event_type: 'alert.raised', status: 'pending', attempts: 0, due: true },
      { url: 'https://partner.example/a', event_type: 'alert.raised', status: 'pending', attempts: 0, due: true },
    ]);
    for (const { id } of deliveries) expect(id).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
    const [{ ogsc_id: ogscId }] = await sql<{ ogsc_id: string }>(`select ogsc_id from participant where id = ?`, [participant.id]);
    const bodies = deliveries.map(({ body }) => JSON.parse(body) as { type: string; data: Record<string, unknown> });
    expect(
      bodies
        .map(({ type, data }) => ({ type, alert: data.alert_id, rule: data.rule, group: data.group_id, ogsc: data.ogsc_id }))
        .sort((a, b) => String(a.rule).localeCompare(String(b.rule))),
    ).toEqual([
      { type: 'alert.raised', alert: alerts[0].id, rule: 'bp_crisis', group: group.groupId, ogsc: ogscId },
      { type: 'alert.raised', alert: alerts[1].id, rule: 'possible_afib', group: group.groupId, ogsc: ogscId },
    ]);
    // Deduplicated: the same page again raises nothing, queues nothing and costs no round trip beyond the plain page's.
    expect(
      await roundTrips(derived, [reading(7200008, '2025-04-04', 190), { ...reading(7200009, '2025-04-04', 120), possible_afib: true }]),
    ).toBe(withoutListeners);
    expect(await sql(`select 1 from webhook_delivery`)).toHaveLength(2);

    // A page of many readings (a backfill's) raises inside the composed statement: no round trip beyond the plain
    // page's, and it names the newest reading over the line. (The alerts above acknowledged, so they raise again.)
    await sql(`update alert set status = 'acknowledged' where participant_id = ? and status = 'open'`, [participant.id]);
    const many = Array.from({ length: 60 }, (_, index) =>
      reading(7300000 + index, `2025-05-${String(1 + (index % 28)).padStart(2, '0')}`, index === 40 || index === 45 ? 181 : 140),
    );
    expect(await roundTrips(derived, many)).toBe(withoutListeners);
    expect(
      await sql(`select rule, reading_id::text as reading from alert where participant_id = ? and status = 'open'`, [participant.id]),
    ).toEqual([{ rule: 'bp_crisis', reading: expect.any(String) }]);
    const [{ upstream }] = await sql<{ upstream: string }>(
      `select r.upstream_id as upstream from alert a join blood_pressure_reading r on r.id = a.reading_id where a.participant_id = ? and a.status = 'open'`,
      [participant.id],
    );
    // Index 45 is on 2025-05-18, index 40 on 2025-05-13: the later one is named.
    expect(upstream).toBe('7300045');
    expect(await sql(`select 1 from webhook_delivery`)).toHaveLength(3);

    // A silence (about a last reading before the spec's weight example) ends whatever the page: a weight page's probe finds it (and resolves it in one more statement), and
    // so does a blood pressure page of many readings, whose resolution rides in the composed statement.
    const silenceOf = async () => {
      await sql(
        `insert into alert (id, group_id, participant_id, rule, status, raised_at, measured_at, detail)
         values (gen_random_uuid(), ?, ?, 'no_reading', 'open', now(), '2020-01-01T00:00:00Z', '{}')`,
        [group.id, participant.id],
      );
      return async () =>
        (
          await sql<{ status: string }>(
            `select status from alert where participant_id = ? and rule = 'no_reading' order by raised_at desc limit 1`,
            [participant.id],
          )
        )[0].status;
    };
    let silenceStatus = await silenceOf();
    const weights = normaliseResult('weight', specExample('weight').result as unknown as Record<string, unknown>);
    await orm.em.fork().transactional(async (tx: EntityManager) => {
      await lockChangeSequence(tx);
      await derived.write(tx, participant.id, 'weight', weights);
    });
    expect(await silenceStatus()).toBe('resolved');
    silenceStatus = await silenceOf();
    const later = Array.from({ length: 60 }, (_, index) =>
      reading(7400000 + index, `2025-06-${String(1 + (index % 28)).padStart(2, '0')}`, 130),
    );
    expect(await roundTrips(derived, later)).toBe(withoutListeners);
    expect(await silenceStatus()).toBe('resolved');

    // A scheduled check's alert (`raise`) queues its event through the same statement, after AlertLabels' two lookups.
    const query = jest.spyOn(pg.Client.prototype, 'query');
    let sent = 0;
    const [silence] = await orm.em
      .fork()
      .transactional((tx: EntityManager) =>
        raising.raise(tx, [
          {
            groupId: group.id,
            participantId: participant.id,
            rule: 'no_reading',
            readingKind: 'blood_pressure',
            readingId: null,
            measuredAt: new Date('2025-04-04T08:00:00.000Z'),
            detail: { days: 7 },
          },
        ]),
      )
      .finally(() => {
        sent = query.mock.calls.length;
        query.mockRestore();
      });
    // begin, the group labels, the OGSC IDs, the insert with its deliveries, commit.
    expect(sent).toBe(5);
    const [queued] = await sql<{ url: string; body: string }>(
      `select e.url, d.body from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id where d.body like ?`,
      [`%${silence.id}%`],
    );
    expect(queued.url).toBe('https://partner.example/a');
    expect(JSON.parse(queued.body)).toMatchObject({
      type: 'alert.raised',
      data: { alert_id: silence.id, rule: 'no_reading', group_id: group.groupId, ogsc_id: ogscId, measured_at: '2025-04-04T08:00:00.000Z' },
    });
  });

  it('composes statements with each one’s $n renumbered after the ones before it', async () => {
    await sql(`create table composed_check (id serial primary key, number int, label text, at timestamptz)`);
    // Each statement's $1 has another type: mixed up, the casts fail or the values land in the wrong columns.
    const statements = [
      { sql: `insert into composed_check (number, label) values ($1::int, $2::text) returning 1`, params: [41, 'first'] },
      {
        sql: `insert into composed_check (label, at) values ($1::text, $2::timestamptz) returning label`,
        params: ['second', '2025-05-06T07:08:09Z'],
        wantsRows: true,
      },
      { sql: `select $1::int + $2::int as sum, $1::int as again`, params: [1000, 2], wantsRows: true },
    ];
    const composed = composeLanded(statements);
    expect(composed.params).toEqual([41, 'first', 'second', '2025-05-06T07:08:09Z', 1000, 2]);
    expect(composed.sql).toContain('select $5::int + $6::int as sum, $5::int as again');
    const rows = await orm.em
      .fork()
      .transactional((tx: EntityManager) => executeBound<{ part: number; row: unknown }>(tx, composed.sql, composed.params));
    expect(rows).toEqual([
      { part: 0, row: null },
      { part: 1, row: { label: 'second' } },
      { part: 2, row: { sum: 1002, again: 1000 } },
    ]);
    expect(await sql(`select number, label, at is not null as timed from composed_check order by id`)).toEqual([
      { number: 41, label: 'first', timed: false },
      { number: null, label: 'second', timed: true },
    ]);
    // A statement's auxiliary CTEs (here a data-modifying one) go at the top level, before it, renumbered with it.
    const withAuxiliary = composeLanded([
      { sql: `select $1::int as one`, params: [1], wantsRows: true },
      {
        with: `aux_inserted as (insert into composed_check (number, label) values ($1::int, $2::text) returning number)`,
        sql: `select number + $1::int as number from aux_inserted`,
        params: [7, 'third'],
        wantsRows: true,
      },
    ]);
    expect(withAuxiliary.sql).toMatch(
      /^with c0 as \(select \$1::int as one\),\naux_inserted as \(insert .* values \(\$2::int, \$3::text\)/,
    );
    expect(
      await orm.em
        .fork()
        .transactional((tx: EntityManager) => executeBound<{ part: number; row: unknown }>(tx, withAuxiliary.sql, withAuxiliary.params)),
    ).toEqual([
      { part: 0, row: { one: 1 } },
      { part: 1, row: { number: 14 } },
    ]);
    // A statement that names a parameter it does not have is refused, not bound to a neighbour's value.
    expect(() => composeLanded([{ sql: `select $1::int, $2::int`, params: [1] }])).toThrow('refers to $2 but has 1 parameters');
    expect(() => composeLanded([{ with: `x as (select $2::int)`, sql: `select 1`, params: [1] }])).toThrow(
      'refers to $2 but has 1 parameters',
    );
  });
});
