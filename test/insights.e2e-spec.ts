import request from 'supertest';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import { ApiClient, ApiClientGroup, formatScopes, hashCredential, newClientSecret, type ApiScope } from '@opendsp/api';
import { GroupAdminMembership, ProgramGroup } from '@opendsp/groups';
import { AdherenceService, BpControlService, ReadingDays } from '@opendsp/insights';
import { lockChangeSequence, type MeasurementKind } from '@opendsp/measurements';
import { Enrollment, Participant, WithdrawalService } from '@opendsp/participants';
import { ReadingWriter } from '@opendsp/sync';
import { addDays, zonedDay } from '@opendsp/time-zone';
import { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';
import { itOnServer } from './support/test-database.js';
import { malformedMonthsSql, readingDaysSql, summaryDaysSql, type SummaryDay } from './support/reading-months.js';
import { plainWeightValues } from './support/readings.js';

const PASSWORD = 'portal password for insights tests';
const TOKYO = 32_400;

interface Reading {
  kind: MeasurementKind;
  upstreamId: number;
  /** ISO 8601 UTC. */
  at: string;
  offset?: number;
  systolic?: number | null;
  diastolic?: number | null;
  /** The device's model; 'OMRON TEST-1' if not given. */
  device?: string;
}

/** A reading as normalise.rules.ts makes it, for the sync's own writer. */
function row(reading: Reading): Record<string, unknown> {
  const offset = reading.offset ?? TOKYO;
  const measured = new Date(reading.at);
  const common = {
    upstream_id: String(reading.upstreamId),
    measured_at: measured.toISOString(),
    local_time: new Date(measured.getTime() + offset * 1000).toISOString().slice(0, 19),
    utc_offset_seconds: offset,
    device_type: reading.device ?? 'OMRON TEST-1',
  };
  switch (reading.kind) {
    case 'blood_pressure':
      return {
        ...common,
        systolic_mmhg: reading.systolic === undefined ? 120 : reading.systolic,
        diastolic_mmhg: reading.diastolic === undefined ? 75 : reading.diastolic,
        pulse_bpm: 64,
        possible_afib: reading.systolic === null,
      };
    case 'weight':
      return {
        ...common,
        ...plainWeightValues(60),
      };
    case 'activity':
      return {
        ...common,
        steps: 4000,
        aerobic_steps: 100,
        calories_kcal: 200,
        distance_km: 1.5,
        distance_original: 1.5,
        distance_unit: 'km',
        hourly: null,
      };
    default:
      throw new Error(`no test row for ${reading.kind}`);
  }
}

/** Noon in Tokyo of a day, as UTC. */
const tokyoNoon = (day: string): string => `${day}T03:00:00.000Z`;

describe('program insights: adherence and blood-pressure control', () => {
  let portal: SignedInPortal;
  let em: EntityManager;
  let writer: ReadingWriter;
  let adherence: AdherenceService;
  let mine: ProgramGroup;
  let theirs: ProgramGroup;
  let groupAdmin: PortalTestClient;
  let upstream = 1;

  /** Writes one page per participant and kind through the sync's writer, in its transaction, as a pull does. */
  async function land(participant: Participant, readings: Omit<Reading, 'upstreamId'>[] | Reading[]): Promise<void> {
    const byKind = new Map<MeasurementKind, Reading[]>();
    for (const reading of readings) {
      const full = { upstreamId: (reading as Reading).upstreamId ?? upstream++, ...reading } as Reading;
      byKind.set(full.kind, [...(byKind.get(full.kind) ?? []), full]);
    }
    for (const [kind, rows] of byKind) {
      await em.fork().transactional(async (tx) => {
        await lockChangeSequence(tx);
        await writer.write(tx, participant.id, kind, rows.map(row) as never);
      });
    }
  }

  async function participant(group: ProgramGroup, customerId: string | null = null): Promise<Participant> {
    const fork = em.fork();
    const person = new Participant('omron_connect');
    const enrollment = new Enrollment(person, fork.getReference(ProgramGroup, group.id), 'consented');
    enrollment.consentedAt = new Date();
    enrollment.consentedScopes = 'bloodpressure weight';
    enrollment.internalCustomerId = customerId;
    fork.persist([person, enrollment]);
    await fork.flush();
    return person;
  }

  /** The participant's counted days as their month rows hold them (each day's own figures, from the cumulative sums). */
  const days = async (person: Participant) => {
    expect(await portal.sql(malformedMonthsSql('$1'), [person.id])).toEqual([]);
    const rows = (await portal.sql(summaryDaysSql('$1'), [person.id])) as SummaryDay[];
    // A day whose sums step has its bit set.
    expect(rows.filter((row) => !row.counted)).toEqual([]);
    return rows.map(({ day, bp_readings, systolic_sum, diastolic_sum }) => ({ day, bp_readings, systolic_sum, diastolic_sum }));
  };
  /** The summary of the participant equals a count of their readings. */
  const expectCountedFromReadings = async (person: Participant) => {
    const counted = await portal.sql(readingDaysSql('$1'), [person.id]);
    expect(await portal.sql(summaryDaysSql('$1'), [person.id])).toEqual(counted);
  };

  const today = () => zonedDay(new Date(), 'Asia/Tokyo');

  beforeAll(async () => {
    portal = await startSignedInPortal('insights-admin', PASSWORD, { DSP_DATA_TRANSFER_METHODS: 'api,csv' });
    em = portal.app.get(MikroORM).em.fork();
    writer = portal.app.get(ReadingWriter, { strict: false });
    adherence = portal.app.get(AdherenceService, { strict: false });
    mine = new ProgramGroup('Hypertension clinic');
    theirs = new ProgramGroup('Wellness plan');
    const admin = new AdminAccount('insights-group-admin', 'Group admin', 'ga@example.test', 'group-admin');
    admin.passwordHash = await PasswordHasher.hash(PASSWORD);
    em.persist([mine, theirs, admin, new GroupAdminMembership(admin, mine)]);
    await em.flush();
    groupAdmin = new PortalTestClient(portal.server);
    expect((await groupAdmin.signIn('insights-group-admin', PASSWORD)).status).toBe(303);
    await groupAdmin.get('/');
  }, 60_000);
  afterAll(() => portal?.close());

  describe('the summary by participant and month', () => {
    it("counts readings on the participant's local day, once however often a page is re-sent, and follows a changed reading", async () => {
      const person = await participant(theirs);
      // 20:00 UTC in Tokyo (+09:00) is the next morning; 02:00 UTC in New York (-05:00) is the evening before.
      await land(person, [
        { kind: 'blood_pressure', upstreamId: 9001, at: '2026-11-10T20:00:00.000Z', systolic: 150, diastolic: 95 },
        { kind: 'blood_pressure', upstreamId: 9002, at: '2026-11-11T02:00:00.000Z', offset: -18_000, systolic: 130, diastolic: 85 },
        { kind: 'weight', upstreamId: 9003, at: '2026-11-11T01:00:00.000Z' },
        // Possible AFib: counted as a day's reading, without values for the mean.
        { kind: 'blood_pressure', upstreamId: 9004, at: '2026-11-11T03:00:00.000Z', systolic: null, diastolic: null },
        // Steps do not count.
        { kind: 'activity', upstreamId: 9005, at: '2026-11-13T03:00:00.000Z' },
      ]);
      expect(await days(person)).toEqual([
        { day: '2026-11-10', bp_readings: 1, systolic_sum: 130, diastolic_sum: 85 },
        { day: '2026-11-11', bp_readings: 1, systolic_sum: 150, diastolic_sum: 95 },
      ]);

      // The same page again changes nothing.
      await land(person, [{ kind: 'blood_pressure', upstreamId: 9001, at: '2026-11-10T20:00:00.000Z', systolic: 150, diastolic: 95 }]);
      expect((await days(person))[1]).toEqual({ day: '2026-11-11', bp_readings: 1, systolic_sum: 150, diastolic_sum: 95 });

      // A changed reading that moved to another day leaves its old day and lands on the new one with its new values.
      await land(person, [{ kind: 'blood_pressure', upstreamId: 9001, at: '2026-11-12T03:00:00.000Z', systolic: 140, diastolic: 90 }]);
      expect(await days(person)).toEqual([
        { day: '2026-11-10', bp_readings: 1, systolic_sum: 130, diastolic_sum: 85 },
        { day: '2026-11-11', bp_readings: 0, systolic_sum: 0, diastolic_sum: 0 },
        { day: '2026-11-12', bp_readings: 1, systolic_sum: 140, diastolic_sum: 90 },
      ]);
    });

    it('commits or rolls back with the page that landed', async () => {
      const person = await participant(theirs);
      await expect(
        em.fork().transactional(async (tx) => {
          await lockChangeSequence(tx);
          await writer.write(tx, person.id, 'weight', [row({ kind: 'weight', upstreamId: 9101, at: tokyoNoon('2026-11-03') })] as never);
          throw new Error('the page failed after the write');
        }),
      ).rejects.toThrow('the page failed');
      expect(await days(person)).toEqual([]);
    });

    it('forgets a participant whose readings a withdrawal deleted, in the same transaction', async () => {
      const person = await participant(theirs);
      await land(person, [{ kind: 'weight', at: tokyoNoon('2026-11-02') }]);
      expect(await days(person)).toHaveLength(1);
      const [{ ogsc_id }] = (await portal.sql(`select ogsc_id from participant where id = $1`, [person.id])) as { ogsc_id: string }[];
      await portal.app
        .get(WithdrawalService, { strict: false })
        .withdrawFromGroup(theirs.groupId, ogsc_id, { kind: 'participant', participantId: person.id });
      expect(await portal.sql(`select count(*)::int as n from weight_reading where participant_id = $1`, [person.id])).toEqual([{ n: 0 }]);
      expect(await days(person)).toEqual([]);
    });
  });

  describe("a backfill's pages, concurrent pages and changed readings", () => {
    /** One background page (a backfill's or reconciliation's) in its own transaction, as the puller writes it. */
    const background = (person: Participant, kind: MeasurementKind, readings: Reading[], fail = false) =>
      em.fork().transactional(async (tx) => {
        await lockChangeSequence(tx);
        await writer.write(tx, person.id, kind, readings.map(row) as never, 'background');
        if (fail) throw new Error('the page failed after the write');
      });
    const bp = (upstreamId: number, day: string, systolic: number): Reading => ({
      kind: 'blood_pressure',
      upstreamId,
      at: tokyoNoon(day),
      systolic,
      diastolic: 80,
    });
    /** Starts a page in its own transaction and holds it open after its write until `commit` is called. */
    const held = async (person: Participant, kind: MeasurementKind, readings: Reading[]) => {
      let commit!: () => void;
      let written!: () => void;
      const writtenYet = new Promise<void>((resolve) => (written = resolve));
      const done = em.fork().transactional(async (tx) => {
        await lockChangeSequence(tx);
        await writer.write(tx, person.id, kind, readings.map(row) as never);
        written();
        await new Promise<void>((release) => (commit = release));
      });
      await writtenYet;
      return { commit: () => commit(), done };
    };
    /** Waits until a session of this test's database waits for a lock (a row's, a transaction's or an advisory one). */
    const someoneWaits = async () => {
      for (;;) {
        const [{ waiting }] = (await portal.sql(
          `select count(*)::int as waiting from pg_locks l join pg_stat_activity a on a.pid = l.pid
            where not l.granted and a.datname = current_database()`,
        )) as { waiting: number }[];
        if (waiting > 0) return;
        await new Promise((resolve) => setImmediate(resolve));
      }
    };

    it('counts a backfill page as it lands, with a live page of the same days', async () => {
      const person = await participant(theirs);
      await background(person, 'blood_pressure', [bp(9201, '2026-10-01', 120), bp(9202, '2026-10-02', 130)]);
      await background(person, 'weight', [{ kind: 'weight', upstreamId: 9203, at: tokyoNoon('2026-10-02') }]);
      // Counted at once: nothing waits for the pull's end.
      expect(await days(person)).toEqual([
        { day: '2026-10-01', bp_readings: 1, systolic_sum: 120, diastolic_sum: 80 },
        { day: '2026-10-02', bp_readings: 1, systolic_sum: 130, diastolic_sum: 80 },
      ]);
      // A notification's page during the backfill: a day the backfill also has, and a new one.
      await land(person, [bp(9204, '2026-10-02', 140), bp(9205, '2026-10-03', 150)]);
      await background(person, 'blood_pressure', [bp(9206, '2026-10-03', 160)]);
      // Every reading once; the page re-read by a resumed pull lands nothing again.
      await background(person, 'blood_pressure', [bp(9206, '2026-10-03', 160)]);
      expect(await days(person)).toEqual([
        { day: '2026-10-01', bp_readings: 1, systolic_sum: 120, diastolic_sum: 80 },
        { day: '2026-10-02', bp_readings: 2, systolic_sum: 270, diastolic_sum: 160 },
        { day: '2026-10-03', bp_readings: 2, systolic_sum: 310, diastolic_sum: 160 },
      ]);
      await expectCountedFromReadings(person);
    });

    it('counts a page that failed after its write once, when its retry lands', async () => {
      const person = await participant(theirs);
      await background(person, 'blood_pressure', [bp(9301, '2026-09-01', 120)]);
      // The second page fails after its write: it rolls back, its readings and their counts.
      await expect(background(person, 'blood_pressure', [bp(9302, '2026-09-02', 130)], true)).rejects.toThrow('the page failed');
      expect(await days(person)).toEqual([{ day: '2026-09-01', bp_readings: 1, systolic_sum: 120, diastolic_sum: 80 }]);
      await background(person, 'blood_pressure', [bp(9301, '2026-09-01', 120)]);
      await background(person, 'blood_pressure', [bp(9302, '2026-09-02', 130), bp(9303, '2026-09-02', 140)]);
      expect(await days(person)).toEqual([
        { day: '2026-09-01', bp_readings: 1, systolic_sum: 120, diastolic_sum: 80 },
        { day: '2026-09-02', bp_readings: 2, systolic_sum: 270, diastolic_sum: 160 },
      ]);
      await expectCountedFromReadings(person);
    });

    itOnServer('counts both of two concurrent pages of one participant in the same month (their increments commute)', async () => {
      const person = await participant(theirs);
      // The first page makes the month's row and stays open; the second adds to the same row and waits for it.
      const first = await held(person, 'blood_pressure', [bp(9501, '2026-07-01', 120), bp(9502, '2026-07-03', 130)]);
      const second = em.fork().transactional(async (tx) => {
        await lockChangeSequence(tx);
        await writer.write(tx, person.id, 'weight', [row({ kind: 'weight', upstreamId: 9503, at: tokyoNoon('2026-07-02') })] as never);
      });
      const third = background(person, 'blood_pressure', [bp(9504, '2026-07-03', 140), bp(9505, '2026-07-31', 150)]);
      await someoneWaits();
      first.commit();
      await Promise.all([first.done, second, third]);
      expect(await days(person)).toEqual([
        { day: '2026-07-01', bp_readings: 1, systolic_sum: 120, diastolic_sum: 80 },
        { day: '2026-07-02', bp_readings: 0, systolic_sum: 0, diastolic_sum: 0 },
        { day: '2026-07-03', bp_readings: 2, systolic_sum: 270, diastolic_sum: 160 },
        { day: '2026-07-31', bp_readings: 1, systolic_sum: 150, diastolic_sum: 80 },
      ]);
      await expectCountedFromReadings(person);
    });

    itOnServer(
      'recounts a changed reading that moved to another month, after a page still open, without losing or doubling it',
      async () => {
        const person = await participant(theirs);
        await background(person, 'blood_pressure', [bp(9401, '2026-05-31', 120), bp(9402, '2026-05-30', 125)]);
        // A live page of a month the summary does not have yet, its transaction still open when the changed reading lands.
        const live = await held(person, 'weight', [{ kind: 'weight', upstreamId: 9403, at: tokyoNoon('2026-06-02') }]);
        // The reading of 31 May, re-sent as 1 June with other values: the page recounts the participant's months.
        const changed = background(person, 'blood_pressure', [bp(9401, '2026-06-01', 150)]);
        // The recount waits for the live page (the participant's lock), whatever the order of their statements.
        await someoneWaits();
        live.commit();
        await Promise.all([live.done, changed]);
        expect(await days(person)).toEqual([
          { day: '2026-05-30', bp_readings: 1, systolic_sum: 125, diastolic_sum: 80 },
          { day: '2026-06-01', bp_readings: 1, systolic_sum: 150, diastolic_sum: 80 },
          { day: '2026-06-02', bp_readings: 0, systolic_sum: 0, diastolic_sum: 0 },
        ]);
        await expectCountedFromReadings(person);
        // The month it left is gone when no reading is left in it.
        await background(person, 'blood_pressure', [bp(9402, '2026-06-03', 125)]);
        expect(await portal.sql(`select month::text from participant_reading_month where participant_id = $1`, [person.id])).toEqual([
          { month: '2026-06-01' },
        ]);
        await expectCountedFromReadings(person);
      },
    );

    itOnServer('adds a live page that waited for a recount to the month rows the recount made', async () => {
      const person = await participant(theirs);
      // June's reading sets the participant's reading times past every page below, and the live page comes from
      // another device, so it waits for no row the recount locked (reading times, device) but the summary's lock.
      await background(person, 'blood_pressure', [bp(9601, '2026-04-10', 120), bp(9602, '2026-04-11', 125), bp(9603, '2026-06-20', 110)]);
      // A changed reading recounts the months and stays open: April's row is deleted and made again, not yet committed.
      const recount = await held(person, 'blood_pressure', [bp(9601, '2026-04-12', 150)]);
      // A notification's page of April: its statement starts before the recount commits and waits for the lock; then
      // April's row it knew is gone, and its increment goes to the row the recount made.
      const live = land(person, [
        { ...bp(9604, '2026-04-13', 140), device: 'OMRON TEST-2' },
        { ...bp(9605, '2026-04-14', 135), device: 'OMRON TEST-2' },
      ]);
      await someoneWaits();
      recount.commit();
      await Promise.all([recount.done, live]);
      expect(await days(person)).toEqual([
        { day: '2026-04-11', bp_readings: 1, systolic_sum: 125, diastolic_sum: 80 },
        { day: '2026-04-12', bp_readings: 1, systolic_sum: 150, diastolic_sum: 80 },
        { day: '2026-04-13', bp_readings: 1, systolic_sum: 140, diastolic_sum: 80 },
        { day: '2026-04-14', bp_readings: 1, systolic_sum: 135, diastolic_sum: 80 },
        { day: '2026-06-20', bp_readings: 1, systolic_sum: 110, diastolic_sum: 80 },
      ]);
      await expectCountedFromReadings(person);
      // A page of a month without a row, then one of two months.
      await land(person, [bp(9606, '2026-05-01', 145)]);
      await land(person, [bp(9607, '2026-04-30', 130), bp(9608, '2026-05-02', 145)]);
      expect((await days(person)).map(({ day }) => day)).toEqual([
        '2026-04-11',
        '2026-04-12',
        '2026-04-13',
        '2026-04-14',
        '2026-04-30',
        '2026-05-01',
        '2026-05-02',
        '2026-06-20',
      ]);
      await expectCountedFromReadings(person);
    });
  });

  describe('month edges: the 31st, February, local midnight, windows over two or three months', () => {
    let edges: ProgramGroup;
    let february: ProgramGroup;

    beforeAll(async () => {
      edges = new ProgramGroup('Month edges');
      february = new ProgramGroup('A rolling period over February');
      await em.fork().persist([edges, february]).flush();
      // First day 31 January: the first rolling period is 31 January – 1 March, three months.
      const late = await participant(february);
      await land(
        late,
        ['2027-01-31', '2027-02-10', '2027-03-01', '2027-03-02'].map((day) => ({ kind: 'weight' as const, at: tokyoNoon(day) })),
      );
      await expectCountedFromReadings(late);
      const person = await participant(edges);
      await land(person, [
        // Just outside February's 30-day control window (30 January – 28 February).
        { kind: 'blood_pressure', at: tokyoNoon('2027-01-29'), systolic: 190, diastolic: 110 },
        // 23:59:59 on 31 January in Tokyo, and one second later, midnight of 1 February.
        { kind: 'blood_pressure', at: '2027-01-31T14:59:59.000Z', systolic: 150, diastolic: 95 },
        { kind: 'blood_pressure', at: '2027-01-31T15:00:00.000Z', systolic: 130, diastolic: 85 },
        { kind: 'blood_pressure', at: tokyoNoon('2027-02-28'), systolic: 110, diastolic: 75 },
        { kind: 'weight', at: tokyoNoon('2027-03-01') },
        { kind: 'blood_pressure', at: tokyoNoon('2027-03-01'), systolic: 200, diastolic: 120 },
      ]);
      await expectCountedFromReadings(person);
    });

    it('counts the calendar month to its last day, 31 days or 28', async () => {
      const january = await adherence.page(edges.id, { period: 'calendar', order: 'needed_asc', limit: 10, today: '2027-01-31' });
      expect(january.rows[0]).toMatchObject({ periodStart: '2027-01-01', periodEnd: '2027-01-31', days: 2, needed: 14 });
      // Today (the 31st, bit 30) is counted: the 14 still needed cannot fit.
      expect(january.rows[0]).toMatchObject({ reachable: false, lastChanceDay: '2027-01-18' });
      const february = await adherence.page(edges.id, { period: 'calendar', order: 'needed_asc', limit: 10, today: '2027-02-28' });
      // 1 February (from midnight) and the 28th, not 31 January's last second.
      expect(february.rows[0]).toMatchObject({ periodStart: '2027-02-01', periodEnd: '2027-02-28', days: 2, needed: 14 });
    });

    it('counts rolling periods over two months and over three', async () => {
      const page = await adherence.page(edges.id, { period: 'rolling', order: 'needed_asc', limit: 10, today: '2027-02-15' });
      // From the first day, 29 January, to 27 February: the 29th and 31 January's last second, 1 February's midnight.
      expect(page.rows[0]).toMatchObject({ periodStart: '2027-01-29', periodEnd: '2027-02-27', days: 3 });
      const next = await adherence.page(edges.id, { period: 'rolling', order: 'needed_asc', limit: 10, today: '2027-03-01' });
      // The second period, 28 February – 29 March: the 28th and 1 March.
      expect(next.rows[0]).toMatchObject({ periodStart: '2027-02-28', periodEnd: '2027-03-29', days: 2 });
      const over = await adherence.page(february.id, { period: 'rolling', order: 'needed_asc', limit: 10, today: '2027-02-15' });
      // 31 January, 10 February and 1 March; 2 March starts the next period.
      expect(over.rows[0]).toMatchObject({ periodStart: '2027-01-31', periodEnd: '2027-03-01', days: 3 });
    });

    it("means a 30-day window over two months from each day's readings, to the day", async () => {
      const control = portal.app.get(BpControlService, { strict: false });
      const thresholds = await control.thresholds(edges.id);
      // February's window, 30 January – 28 February: 31 January's last second, 1 February's midnight and the 28th.
      const february = await control.participants(edges.id, '2027-02', 'measured', '2027-03-05', thresholds, undefined, 10);
      expect(february.window).toEqual({ month: '2027-02', from: '2027-01-30', to: '2027-02-28' });
      expect(february.rows).toMatchObject([{ systolic: 130, diastolic: 85, readings: 3 }]);
      // March's, up to today: 4 February – 5 March, the 28th and 1 March.
      const march = await control.participants(edges.id, '2027-03', 'measured', '2027-03-05', thresholds, undefined, 10);
      expect(march.rows).toMatchObject([{ systolic: 155, diastolic: 97.5, readings: 2 }]);
      const trend = await control.trend(edges.id, '2027-03-05', thresholds);
      expect(trend.slice(-3)).toEqual([
        // January's window, 2–31 January: the 29th and 31 January's last second (170/102.5).
        { month: '2027-01', from: '2027-01-02', to: '2027-01-31', measured: 1, underTarget: 0, underHedis: 0 },
        { month: '2027-02', from: '2027-01-30', to: '2027-02-28', measured: 1, underTarget: 0, underHedis: 1 },
        { month: '2027-03', from: '2027-02-04', to: '2027-03-05', measured: 1, underTarget: 0, underHedis: 0 },
      ]);
      // A window that holds none of the readings: nobody measured.
      expect((await control.participants(edges.id, '2026-12', 'measured', '2027-03-05', thresholds, undefined, 10)).rows).toEqual([]);
    });
  });

  describe('adherence', () => {
    let clinic: ProgramGroup;
    const people: Record<string, Participant> = {};
    const ogsc: Record<string, string> = {};
    const nov = (day: number) => tokyoNoon(`2026-11-${String(day).padStart(2, '0')}`);
    const TODAY = '2026-11-20';

    beforeAll(async () => {
      clinic = new ProgramGroup('Adherence clinic');
      await em.fork().persist(clinic).flush();
      const plan: Record<string, string[]> = {
        met: Array.from({ length: 16 }, (_, index) => nov(index + 1)),
        // 5 days: 11 more needed, the last chance is the 20th, today, not yet measured.
        lastChanceToday: [1, 2, 3, 4, 5].map(nov),
        // The same 5 days, today among them: the 11 still needed no longer fit into the 10 days left.
        measuredToday: [1, 2, 3, 4, 20].map(nov),
        farBehind: [1, 2].map(nov),
        never: [],
        // Since 25 October: its rolling period is 25 October to 23 November.
        rolling: [...[25, 26, 27, 28, 29, 30, 31].map((day) => tokyoNoon(`2026-10-${day}`)), ...[5, 6, 7].map(nov)],
      };
      for (const [name, times] of Object.entries(plan)) {
        people[name] = await participant(clinic, `CUST-${name}`);
        // Two readings on one day count one day.
        await land(people[name], [
          ...times.map((at) => ({ kind: 'weight' as const, at })),
          ...times.slice(0, 1).map((at) => ({ kind: 'blood_pressure' as const, at })),
        ]);
        const [{ ogsc_id }] = (await portal.sql(`select ogsc_id from participant where id = $1`, [people[name].id])) as {
          ogsc_id: string;
        }[];
        ogsc[name] = ogsc_id;
      }
    });

    const byName = (rows: { ogscId: string }[]) => {
      const names = Object.fromEntries(Object.entries(ogsc).map(([name, id]) => [id, name]));
      return Object.fromEntries(rows.map((row) => [names[row.ogscId], row]));
    };

    it('counts the days of the calendar month and marks the 16-day threshold and the last day it can be met', async () => {
      const page = await adherence.page(clinic.id, { period: 'calendar', order: 'needed_asc', limit: 50, today: TODAY });
      const rows = byName(page.rows);
      expect(rows.met).toMatchObject({
        periodStart: '2026-11-01',
        periodEnd: '2026-11-30',
        days: 16,
        needed: 0,
        met: true,
        lastChanceDay: null,
      });
      expect(rows.lastChanceToday).toMatchObject({ days: 5, needed: 11, met: false, reachable: true, lastChanceDay: '2026-11-20' });
      expect(rows.measuredToday).toMatchObject({ days: 5, needed: 11, met: false, reachable: false, lastChanceDay: '2026-11-20' });
      expect(rows.farBehind).toMatchObject({ days: 2, needed: 14, reachable: false, lastChanceDay: '2026-11-17' });
      expect(rows.never).toMatchObject({ days: 0, needed: 16, reachable: false });
      expect(rows.rolling).toMatchObject({ periodStart: '2026-11-01', days: 3, needed: 13 });
      // A day earlier, the participant who has not measured today still had the 20th ahead.
      const before = byName(
        (await adherence.page(clinic.id, { period: 'calendar', order: 'needed_asc', limit: 50, today: '2026-11-12' })).rows,
      );
      expect(before.farBehind).toMatchObject({ reachable: true, lastChanceDay: '2026-11-17' });
    });

    it('counts rolling 30-day periods from the first reading day', async () => {
      const rows = byName((await adherence.page(clinic.id, { period: 'rolling', order: 'needed_asc', limit: 50, today: TODAY })).rows);
      expect(rows.rolling).toMatchObject({
        periodStart: '2026-10-25',
        periodEnd: '2026-11-23',
        days: 10,
        needed: 6,
        lastChanceDay: '2026-11-18',
        reachable: false,
      });
      // Not measured yet: the period would start today.
      expect(rows.never).toMatchObject({
        periodStart: TODAY,
        periodEnd: '2026-12-19',
        needed: 16,
        reachable: true,
        lastChanceDay: '2026-12-04',
      });
      // First day 1 November, today the 20th: the first period, 1–30 November.
      expect(rows.met).toMatchObject({ periodStart: '2026-11-01', periodEnd: '2026-11-30', days: 16 });
      // 1 December starts the second.
      const later = byName(
        (await adherence.page(clinic.id, { period: 'rolling', order: 'needed_asc', limit: 50, today: '2026-12-01' })).rows,
      );
      expect(later.met).toMatchObject({ periodStart: '2026-12-01', periodEnd: '2026-12-30', days: 0, needed: 16 });
    });

    it('sorts by days still needed either way, a page at a time, without losing or repeating anyone', async () => {
      for (const order of ['needed_asc', 'needed_desc'] as const) {
        const all = (await adherence.page(clinic.id, { period: 'calendar', order, limit: 50, today: TODAY })).rows;
        const needed = all.map((row) => row.needed);
        expect(needed).toEqual([...needed].sort((a, b) => (order === 'needed_asc' ? a - b : b - a)));
        const paged: string[] = [];
        let after: string | undefined;
        do {
          const page = await adherence.page(clinic.id, { period: 'calendar', order, limit: 2, after, today: TODAY });
          paged.push(...page.rows.map((row) => row.ogscId));
          after = page.nextAfter ?? undefined;
        } while (after);
        expect(paged).toEqual(all.map((row) => row.ogscId));
      }
    });
  });

  describe('pages, CSV and API of a group', () => {
    const ogsc: Record<string, string> = {};
    let t: string;

    async function apiClient(scopes: ApiScope[], groups: ProgramGroup[]): Promise<string> {
      const fork = em.fork();
      const secret = newClientSecret();
      const client = new ApiClient({
        name: `client ${scopes.join(' ')}`,
        scopes: formatScopes(scopes),
        allGroups: false,
        secretHash: hashCredential(secret),
      });
      fork.persist(client);
      for (const group of groups) fork.persist(new ApiClientGroup(client, fork.getReference(ProgramGroup, group.id)));
      await fork.flush();
      const res = await request(portal.server)
        .post('/api/v1/oauth/token')
        .auth(client.clientId, secret)
        .type('form')
        .send({ grant_type: 'client_credentials' });
      expect(res.status).toBe(200);
      return res.body.access_token as string;
    }

    beforeAll(async () => {
      t = today();
      const plan: Record<string, Omit<Reading, 'upstreamId'>[]> = {
        steady: [
          ...[1, 2, 3].map((back) => ({ kind: 'weight' as const, at: tokyoNoon(addDays(t, -back)) })),
          ...[1, 2].map((back) => ({ kind: 'blood_pressure' as const, at: tokyoNoon(addDays(t, -back)), systolic: 118, diastolic: 72 })),
        ],
        high: [{ kind: 'blood_pressure', at: tokyoNoon(addDays(t, -1)), systolic: 150, diastolic: 95 }],
        silent: [],
      };
      for (const [name, readings] of Object.entries(plan)) {
        const person = await participant(mine, `CUST-${name}`);
        await land(person, readings);
        ogsc[name] = ((await portal.sql(`select ogsc_id from participant where id = $1`, [person.id])) as { ogsc_id: string }[])[0].ogsc_id;
      }
    });

    it('lists adherence on the portal, most days still needed first, and refuses another group and bad input', async () => {
      const page = await groupAdmin.get(`/groups/${mine.groupId}/adherence?period=rolling`);
      expect(page.status).toBe(200);
      const rows = [
        ...page.text.matchAll(/data-ogsc-id="([^"]+)" data-days="(\d+)" data-needed="(\d+)"[^>]*data-last-chance="([^"]*)"/g),
      ].map(([, id, days, needed, last]) => ({ id, days: Number(days), needed: Number(needed), last }));
      expect(rows).toEqual([
        { id: ogsc.silent, days: 0, needed: 16, last: addDays(t, 14) },
        { id: ogsc.high, days: 1, needed: 15, last: addDays(t, 14) },
        { id: ogsc.steady, days: 3, needed: 13, last: addDays(t, 14) },
      ]);
      expect((await groupAdmin.get(`/groups/${theirs.groupId}/adherence`)).status).toBe(404);
      expect((await groupAdmin.get(`/groups/${mine.groupId}/adherence?period=weekly`)).status).toBe(400);
      expect((await groupAdmin.get(`/groups/${mine.groupId}/adherence?after=16~nobody`)).status).toBe(400);
    });

    it('downloads the list as CSV, audited', async () => {
      const res = await groupAdmin.get(`/groups/${mine.groupId}/adherence.csv?period=rolling&order=needed_asc`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toContain(`adherence-${mine.groupId}-rolling-`);
      const lines = res.text.trim().split('\r\n');
      expect(lines[0]).toBe(
        'ogsc_id,internal_customer_id,period,period_start,period_end,days_with_readings,threshold_days,days_still_needed,threshold_met,can_still_be_met,last_day_to_meet',
      );
      expect(lines.slice(1)).toEqual([
        `${ogsc.steady},CUST-steady,rolling,${addDays(t, -3)},${addDays(t, 26)},3,16,13,false,true,${addDays(t, 14)}`,
        `${ogsc.high},CUST-high,rolling,${addDays(t, -1)},${addDays(t, 28)},1,16,15,false,true,${addDays(t, 14)}`,
        `${ogsc.silent},CUST-silent,rolling,${t},${addDays(t, 29)},0,16,16,false,true,${addDays(t, 14)}`,
      ]);
      const audit = (await portal.sql(`select target_id, detail from audit_event where action = 'adherence.exported'`)) as {
        target_id: string;
        detail: Record<string, unknown>;
      }[];
      expect(audit).toEqual([{ target_id: mine.groupId, detail: expect.objectContaining({ period: 'rolling', rows: 3 }) }]);
      expect((await groupAdmin.get(`/groups/${theirs.groupId}/adherence.csv`)).status).toBe(404);
    });

    it('answers the API with the insights:read scope, for the client’s groups only', async () => {
      const token = await apiClient(['insights:read'], [mine]);
      const first = await request(portal.server)
        .get(`/api/v1/groups/${mine.groupId}/adherence?period=rolling&order=needed_asc&limit=2`)
        .auth(token, { type: 'bearer' });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ today: t, period: 'rolling' });
      expect(first.body.data).toEqual([
        {
          ogscId: ogsc.steady,
          internalCustomerId: 'CUST-steady',
          periodStart: addDays(t, -3),
          periodEnd: addDays(t, 26),
          daysWithReadings: 3,
          thresholdDays: 16,
          daysStillNeeded: 13,
          thresholdMet: false,
          canStillBeMet: true,
          lastDayToMeet: addDays(t, 14),
        },
        expect.objectContaining({ ogscId: ogsc.high, daysStillNeeded: 15 }),
      ]);
      const second = await request(portal.server)
        .get(`/api/v1/groups/${mine.groupId}/adherence?period=rolling&order=needed_asc&limit=2&cursor=${first.body.nextCursor}`)
        .auth(token, { type: 'bearer' });
      expect(second.body.data.map((row: { ogscId: string }) => row.ogscId)).toEqual([ogsc.silent]);
      expect(second.body.nextCursor).toBeNull();

      const other = await request(portal.server).get(`/api/v1/groups/${theirs.groupId}/adherence`).auth(token, { type: 'bearer' });
      expect(other.status).toBe(404);
      expect(other.body.code).toBe('group_not_found');
      const badCursor = await request(portal.server)
        .get(`/api/v1/groups/${mine.groupId}/adherence?cursor=abc`)
        .auth(token, { type: 'bearer' });
      expect(badCursor.status).toBe(400);
      expect(badCursor.body.code).toBe('validation_failed');
      const badPeriod = await request(portal.server)
        .get(`/api/v1/groups/${mine.groupId}/adherence?period=weekly`)
        .auth(token, { type: 'bearer' });
      expect(badPeriod.status).toBe(400);

      const withoutScope = await apiClient(['participants:read'], [mine]);
      const refused = await request(portal.server).get(`/api/v1/groups/${mine.groupId}/adherence`).auth(withoutScope, { type: 'bearer' });
      expect(refused.status).toBe(403);
    });

    it('shows blood-pressure control on the group page, each number linking to the participants it counts', async () => {
      const groupPage = await groupAdmin.get(`/groups/${mine.groupId}`);
      expect(groupPage.status).toBe(200);
      expect(groupPage.text).toContain('id="blood-pressure-control"');
      const month = t.slice(0, 7);
      expect(groupPage.text).toMatch(new RegExp(`<circle data-month="${month}" data-band="target" data-value="50" data-count="1"`));
      const link = (band: string) => new RegExp(`<dd><a href="([^"]+)" data-band="${band}">(\\d+)<`).exec(groupPage.text);
      const listed = async (band: string) => {
        const found = link(band);
        expect(found).not.toBeNull();
        const href = found![1].replaceAll('&amp;', '&').replaceAll('&#x3D;', '=');
        expect(href).toBe(`/groups/${mine.groupId}/blood-pressure/participants?month=${month}&band=${band}`);
        const list = await groupAdmin.get(href);
        expect(list.status).toBe(200);
        const ids = [...list.text.matchAll(/<tr data-ogsc-id="([^"]+)"/g)].map((match) => match[1]);
        expect(ids).toHaveLength(Number(found![2]));
        return ids.sort();
      };
      expect(await listed('measured')).toEqual([ogsc.steady, ogsc.high].sort());
      expect(await listed('target')).toEqual([ogsc.steady]);
      expect(await listed('hedis')).toEqual([ogsc.steady]);

      const control = await groupAdmin.get(`/groups/${mine.groupId}/blood-pressure`);
      expect(control.status).toBe(200);
      expect(control.text).toMatch(/<tr data-month="[^"]+">[\s\S]*?data-band="uncontrolled" data-count="1"/);
      expect((await groupAdmin.get(`/groups/${theirs.groupId}/blood-pressure`)).status).toBe(404);
      expect((await groupAdmin.get(`/groups/${mine.groupId}/blood-pressure/participants?month=2026-13&band=target`)).status).toBe(400);
      expect((await groupAdmin.get(`/groups/${mine.groupId}/blood-pressure/participants?month=${month}&band=everyone`)).status).toBe(400);
      expect((await groupAdmin.get(`/groups/${mine.groupId}/blood-pressure/participants?month=2999-01&band=target`)).status).toBe(400);
    });

    it('changes the thresholds per group, audited, and refuses bad values changing nothing', async () => {
      const bad = await groupAdmin.post(`/groups/${mine.groupId}/blood-pressure/thresholds`, {
        targetSystolic: 'abc',
        targetDiastolic: '80',
        hedisSystolic: '140',
        hedisDiastolic: '90',
      });
      expect(bad.status).toBe(422);
      expect(await portal.sql(`select count(*)::int as n from group_bp_targets`)).toEqual([{ n: 0 }]);
      expect(
        (
          await groupAdmin.post(`/groups/${theirs.groupId}/blood-pressure/thresholds`, {
            targetSystolic: '155',
            targetDiastolic: '100',
            hedisSystolic: '160',
            hedisDiastolic: '100',
          })
        ).status,
      ).toBe(404);
      expect(await portal.sql(`select count(*)::int as n from group_bp_targets`)).toEqual([{ n: 0 }]);

      const saved = await groupAdmin.post(`/groups/${mine.groupId}/blood-pressure/thresholds`, {
        targetSystolic: '155',
        targetDiastolic: '100',
        hedisSystolic: '160',
        hedisDiastolic: '100',
      });
      expect(saved.status).toBe(303);
      expect(saved.headers.location).toBe(`/groups/${mine.groupId}/blood-pressure?notice=saved`);
      const audit = (await portal.sql(`select target_id, detail from audit_event where action = 'group.bp_thresholds_changed'`)) as {
        target_id: string;
        detail: { before: unknown; after: unknown };
      }[];
      expect(audit).toEqual([
        {
          target_id: mine.groupId,
          detail: {
            before: { target: { systolic: 130, diastolic: 80 }, hedis: { systolic: 140, diastolic: 90 } },
            after: { target: { systolic: 155, diastolic: 100 }, hedis: { systolic: 160, diastolic: 100 } },
          },
        },
      ]);
      // With 155/100, the 150/95 participant is under target too: on the group page's figures (computed again for
      // the new thresholds) and in the list they open.
      const month = t.slice(0, 7);
      expect((await groupAdmin.get(`/groups/${mine.groupId}`)).text).toMatch(/<dd><a href="[^"]+" data-band="target">2<\/a>/);
      const list = await groupAdmin.get(`/groups/${mine.groupId}/blood-pressure/participants?month=${month}&band=target`);
      expect([...list.text.matchAll(/<tr data-ogsc-id="([^"]+)"/g)].map((match) => match[1]).sort()).toEqual(
        [ogsc.steady, ogsc.high].sort(),
      );
    });
  });

  describe('blood-pressure control', () => {
    let clinic: ProgramGroup;
    const TODAY = '2026-11-20';

    beforeAll(async () => {
      clinic = new ProgramGroup('Control clinic');
      await em.fork().persist(clinic).flush();
      const bp = (day: string, systolic: number, diastolic: number) => ({
        kind: 'blood_pressure' as const,
        at: tokyoNoon(day),
        systolic,
        diastolic,
      });
      // Means over 22 October – 20 November: 120/75, 135/85, 150/95, 128/82.
      await land(await participant(clinic), [bp('2026-10-05', 160, 100), bp('2026-11-10', 110, 70), bp('2026-11-11', 130, 80)]);
      await land(await participant(clinic), [bp('2026-10-25', 135, 85)]);
      await land(await participant(clinic), [bp('2026-11-01', 140, 90), bp('2026-11-02', 160, 100)]);
      await land(await participant(clinic), [bp('2026-11-19', 128, 82)]);
    });

    it('counts means under each threshold by month, the current month up to today', async () => {
      const control = portal.app.get(BpControlService, { strict: false });
      const trend = await control.trend(clinic.id, TODAY, await control.thresholds(clinic.id));
      expect(trend).toHaveLength(12);
      expect(trend.at(-1)).toEqual({ month: '2026-11', from: '2026-10-22', to: TODAY, measured: 4, underTarget: 1, underHedis: 3 });
      // October: 2–31 October; only the first participant's 5 October reading (160/100) and the second's.
      expect(trend.at(-2)).toEqual({ month: '2026-10', from: '2026-10-02', to: '2026-10-31', measured: 2, underTarget: 0, underHedis: 1 });
      expect(trend[0]).toMatchObject({ month: '2025-12', measured: 0 });

      const tuned = await control.trend(clinic.id, TODAY, {
        target: { systolic: 130, diastolic: 85 },
        hedis: { systolic: 136, diastolic: 86 },
      });
      expect(tuned.at(-1)).toMatchObject({ measured: 4, underTarget: 2, underHedis: 3 });
    });

    itOnServer(
      'keeps a computed trend for ten minutes of the same day and thresholds, then refreshes its last two months after the view',
      async () => {
        const control = portal.app.get(BpControlService, { strict: false });
        const thresholds = await control.thresholds(clinic.id);
        const at = new Date('2026-11-20T03:00:00Z');
        const first = await control.cachedTrend(clinic.id, TODAY, thresholds, at);
        expect(first.months.at(-1)).toMatchObject({ measured: 4 });
        expect(first.months.at(-2)).toMatchObject({ month: '2026-10', measured: 2 });
        expect(first.months.find((month) => month.month === '2026-08')).toMatchObject({ measured: 0 });
        // A newcomer measured this month, last month, and in August (history a new connection's backfill brings).
        const newcomer = await participant(clinic);
        await land(
          newcomer,
          ['2026-11-18', '2026-10-10', '2026-08-10'].map((day) => ({
            kind: 'blood_pressure' as const,
            at: tokyoNoon(day),
            systolic: 118,
            diastolic: 70,
          })),
        );
        const kept = await control.cachedTrend(clinic.id, TODAY, thresholds, new Date(at.getTime() + 9 * 60_000));
        expect(kept.computedAt).toEqual(at);
        expect(kept.months.at(-1)).toMatchObject({ measured: 4 });
        expect(control.refreshing.has(clinic.id)).toBe(false);
        // Older than ten minutes: the view still gets the kept figures, and starts one refresh. The kept row is locked
        // meanwhile, so the refresh cannot keep its figures (and end) before the second view has looked.
        const later = new Date(at.getTime() + 11 * 60_000);
        let releaseRow!: () => void;
        let rowLocked!: () => void;
        const locked = new Promise<void>((resolve) => (rowLocked = resolve));
        const holder = em.fork().transactional(async (tx) => {
          await tx.execute(`select 1 from group_bp_trend where group_id = ? for update`, [clinic.id]);
          rowLocked();
          await new Promise<void>((release) => (releaseRow = release));
        });
        await locked;
        const stale = await control.cachedTrend(clinic.id, TODAY, thresholds, later);
        expect(stale).toEqual({ months: kept.months, computedAt: at });
        const refresh = control.refreshing.get(clinic.id);
        expect(refresh).toBeDefined();
        // A second view while it runs starts no other refresh.
        await control.cachedTrend(clinic.id, TODAY, thresholds, later);
        expect(control.refreshing.get(clinic.id)).toBe(refresh);
        releaseRow();
        await holder;
        await refresh;
        const fresh = await control.cachedTrend(clinic.id, TODAY, thresholds, new Date(later.getTime() + 1000));
        expect(fresh.computedAt).toEqual(later);
        expect(fresh.months.at(-1)).toMatchObject({ measured: 5, underTarget: 2 });
        expect(fresh.months.at(-2)).toMatchObject({ month: '2026-10', measured: 3 });
        // The refresh computed only the last two months; the ten before are as kept.
        expect(fresh.months.slice(0, -2)).toEqual(first.months.slice(0, -2));
        expect(control.refreshing.has(clinic.id)).toBe(false);
        // Another day is computed at once, every month of it: August now counts the newcomer.
        const tomorrow = await control.cachedTrend(clinic.id, '2026-11-21', thresholds, new Date(later.getTime() + 2000));
        expect(tomorrow.computedAt).toEqual(new Date(later.getTime() + 2000));
        expect(tomorrow.months.at(-1)).toMatchObject({ to: '2026-11-21', measured: 5 });
        expect(tomorrow.months.find((month) => month.month === '2026-08')).toMatchObject({ measured: 1 });
        // Other thresholds are other figures, computed at once.
        const other = await control.cachedTrend(
          clinic.id,
          TODAY,
          { ...thresholds, target: { systolic: 100, diastolic: 60 } },
          new Date(at.getTime() + 12 * 60_000),
        );
        expect(other.months.at(-1)).toMatchObject({ measured: 5, underTarget: 0 });
      },
    );
  });

  it('keeps, page by page, the same summary a rebuild from every reading makes', async () => {
    const all = () =>
      portal.sql(
        `select participant_id, month::text, days, bp_readings::text, systolic_sum::text, diastolic_sum::text
           from participant_reading_month order by participant_id, month`,
      );
    const kept = await all();
    expect(kept.length).toBeGreaterThan(20);
    await em.fork().transactional(async (tx) => {
      await lockChangeSequence(tx);
      await portal.app.get(ReadingDays, { strict: false }).rebuildAll(tx);
    });
    expect(await all()).toEqual(kept);
  });
});
