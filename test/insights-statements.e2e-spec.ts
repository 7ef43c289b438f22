import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { ProgramGroup } from '@opendsp/groups';
import { AdherenceService, BpControlService, type AdherenceRow, type ControlledParticipant } from '@opendsp/insights';
import { lockChangeSequence } from '@opendsp/measurements';
import { consentedMemberListSql, consentedMembersSql, Enrollment, Participant, WithdrawalService } from '@opendsp/participants';
import { ReadingWriter } from '@opendsp/sync';
import { addDays } from '@opendsp/time-zone';
import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';
import { plainWeightValues } from './support/readings.js';

/**
 * The adherence and control statements pinned against a plain computation over the same readings: participants
 * just under, at and over each threshold, and days at the edges of the calendar month and of rolling periods,
 * read a page of two at a time so the statements' limits and keysets are crossed too.
 */

const TOKYO = 32_400;
const TODAY = '2026-11-20';
const THRESHOLDS = { target: { systolic: 130, diastolic: 80 }, hedis: { systolic: 140, diastolic: 90 } };

/** A reading at noon in Tokyo on `day`: blood pressure with values, an AFib reading (no values), or a weight. */
type Planned = { day: string; bp: [number, number] } | { day: string; afib: true } | { day: string; weight: true };

let upstream = 1;
function row(planned: Planned): Record<string, unknown> {
  const measured = new Date(`${planned.day}T03:00:00.000Z`);
  const common = {
    upstream_id: String(upstream++),
    measured_at: measured.toISOString(),
    local_time: new Date(measured.getTime() + TOKYO * 1000).toISOString().slice(0, 19),
    utc_offset_seconds: TOKYO,
    device_type: 'OMRON TEST-1',
  };
  if ('weight' in planned)
    return {
      ...common,
      ...plainWeightValues(60),
    };
  const afib = 'afib' in planned;
  return {
    ...common,
    systolic_mmhg: afib ? null : planned.bp[0],
    diastolic_mmhg: afib ? null : planned.bp[1],
    pulse_bpm: afib ? null : 64,
    possible_afib: afib,
  };
}

const bp = (day: string, systolic: number, diastolic: number): Planned => ({ day, bp: [systolic, diastolic] });
const weights = (...days: string[]): Planned[] => days.map((day) => ({ day, weight: true }));
/** `count` consecutive days from `from`. */
const daysFrom = (from: string, count: number) => Array.from({ length: count }, (_, index) => addDays(from, index));

describe('insights statements against a plain computation', () => {
  let portal: SignedInPortal;
  let em: EntityManager;
  let writer: ReadingWriter;
  let adherence: AdherenceService;
  let control: BpControlService;

  async function member(group: ProgramGroup, plan: Planned[], status: 'consented' | 'withdrawn' = 'consented'): Promise<string> {
    const fork = em.fork();
    const person = new Participant('omron_connect');
    const enrollment = new Enrollment(person, fork.getReference(ProgramGroup, group.id), status);
    enrollment.consentedAt = new Date();
    fork.persist([person, enrollment]);
    await fork.flush();
    for (const kind of ['blood_pressure', 'weight'] as const) {
      const rows = plan.filter((planned) => 'weight' in planned === (kind === 'weight')).map(row);
      if (rows.length === 0) continue;
      await em.fork().transactional(async (tx) => {
        await lockChangeSequence(tx);
        await writer.write(tx, person.id, kind, rows as never);
      });
    }
    const [{ ogsc_id }] = (await portal.sql(`select ogsc_id from participant where id = $1`, [person.id])) as { ogsc_id: string }[];
    return ogsc_id;
  }

  beforeAll(async () => {
    portal = await startSignedInPortal('insights-statements-admin', 'insights statements password');
    em = portal.app.get(MikroORM).em.fork();
    writer = portal.app.get(ReadingWriter, { strict: false });
    adherence = portal.app.get(AdherenceService, { strict: false });
    control = portal.app.get(BpControlService, { strict: false });
  }, 60_000);
  afterAll(() => portal?.close());

  describe('a group’s member list (consentedMemberListSql, read from the covering indexes)', () => {
    type MemberRow = { participant_id: string; ogsc_id: string; internal_customer_id: string | null };
    const byId = (rows: MemberRow[]) => [...rows].sort((a, b) => (a.participant_id < b.participant_id ? -1 : 1));
    const list = async (sql: (group: string) => string, group: ProgramGroup) =>
      byId((await portal.sql(sql('$1::uuid'), [group.id])) as MemberRow[]);

    it('holds the consented members with their OGSC and customer IDs, as the join does, and follows enrollment changes', async () => {
      const clinic = new ProgramGroup('Member list clinic');
      const other = new ProgramGroup('Member list other clinic');
      await em.fork().persist([clinic, other]).flush();
      const fork = em.fork();
      const people = Array.from({ length: 5 }, () => new Participant('omron_connect'));
      const [kept, withdrawing, renamed, invited, twoGroups] = people;
      const [inClinic, inOther] = [fork.getReference(ProgramGroup, clinic.id), fork.getReference(ProgramGroup, other.id)];
      const enrollments = [
        Object.assign(new Enrollment(kept, inClinic, 'consented'), { internalCustomerId: 'CUST-KEPT' }),
        new Enrollment(withdrawing, inClinic, 'consented'),
        Object.assign(new Enrollment(renamed, inClinic, 'consented'), { internalCustomerId: 'CUST-OLD' }),
        new Enrollment(invited, inClinic, 'invited'),
        new Enrollment(twoGroups, inClinic, 'consented'),
        new Enrollment(twoGroups, inOther, 'consented'),
      ];
      fork.persist([...people, ...enrollments]);
      await fork.flush();
      const expected = (rows: [Participant, string | null][]) =>
        byId(rows.map(([person, customer]) => ({ participant_id: person.id, ogsc_id: person.ogscId, internal_customer_id: customer })));

      expect(await list(consentedMemberListSql, clinic)).toEqual(
        expected([
          [kept, 'CUST-KEPT'],
          [withdrawing, null],
          [renamed, 'CUST-OLD'],
          [twoGroups, null],
        ]),
      );
      expect(await list(consentedMemberListSql, clinic)).toEqual(await list(consentedMembersSql, clinic));

      // A withdrawal, a changed customer ID and a consent are seen by the next statement (the index is the table's).
      const [admin] = (await portal.sql(`select id from admin_account where login_id = 'insights-statements-admin'`)) as { id: string }[];
      await portal.app
        .get(WithdrawalService)
        .withdraw(enrollments[1].id, { kind: 'admin', adminId: admin.id, login: 'insights-statements-admin' });
      await portal.sql(`update enrollment set internal_customer_id = 'CUST-NEW' where id = $1`, [enrollments[2].id]);
      await portal.sql(`update enrollment set status = 'consented', consented_at = now() where id = $1`, [enrollments[3].id]);
      expect(await list(consentedMemberListSql, clinic)).toEqual(
        expected([
          [kept, 'CUST-KEPT'],
          [renamed, 'CUST-NEW'],
          [invited, null],
          [twoGroups, null],
        ]),
      );
      expect(await list(consentedMemberListSql, clinic)).toEqual(await list(consentedMembersSql, clinic));
      expect(await list(consentedMemberListSql, other)).toEqual(expected([[twoGroups, null]]));
    });
  });

  describe('blood-pressure control lists', () => {
    let clinic: ProgramGroup;
    // November's window when today is the 20th: 22 October to 20 November.
    const FROM = '2026-10-22';
    const plans: Record<string, Planned[]> = {
      justUnderTarget: [bp('2026-11-10', 129, 79)],
      systolicAtTarget: [bp('2026-11-10', 130, 70)],
      diastolicAtTarget: [bp('2026-11-10', 120, 80)],
      // Means 129.5 / 79.5: under; 130 / 80 exactly from two readings: not.
      meanJustUnder: [bp('2026-11-01', 129, 79), bp('2026-11-02', 130, 80)],
      meanAtTarget: [bp('2026-11-01', 131, 81), bp('2026-11-02', 129, 79)],
      justUnderHedis: [bp('2026-11-10', 139, 89)],
      systolicAtHedis: [bp('2026-11-10', 140, 60)],
      diastolicAtHedis: [bp('2026-11-10', 110, 90)],
      // The window's first and last days count; the day before it and a later day do not.
      windowEdges: [bp(FROM, 100, 60), bp(TODAY, 160, 100), bp(addDays(FROM, -1), 200, 120), bp(addDays(TODAY, 1), 200, 120)],
      // Two readings on one day: both in the mean (121 / 71).
      sameDay: [bp('2026-11-05', 118, 70), bp('2026-11-05', 124, 72)],
      afibOnly: [{ day: '2026-11-10', afib: true }],
      afibAndValues: [{ day: '2026-11-10', afib: true }, bp('2026-11-11', 150, 95)],
      weightOnly: weights('2026-11-10'),
      outsideWindow: [bp('2026-10-21', 120, 70)],
    };
    const ogsc: Record<string, string> = {};

    beforeAll(async () => {
      clinic = new ProgramGroup('Control statements clinic');
      const other = new ProgramGroup('Another clinic');
      await em.fork().persist([clinic, other]).flush();
      for (const [name, plan] of Object.entries(plans)) ogsc[name] = await member(clinic, plan);
      // Neither a withdrawn member nor another group's is counted.
      await member(clinic, [bp('2026-11-10', 110, 70)], 'withdrawn');
      await member(other, [bp('2026-11-10', 110, 70)]);
    });

    /** Each member's mean over the window from the plans, by plain arithmetic. */
    function expectedMeans(): { ogscId: string; systolic: number; diastolic: number; readings: number }[] {
      return Object.entries(plans)
        .map(([name, plan]) => {
          const values = plan.flatMap((planned) => ('bp' in planned && planned.day >= FROM && planned.day <= TODAY ? [planned.bp] : []));
          return {
            ogscId: ogsc[name],
            readings: values.length,
            systolic: values.reduce((sum, [systolic]) => sum + systolic, 0) / values.length,
            diastolic: values.reduce((sum, [, diastolic]) => sum + diastolic, 0) / values.length,
          };
        })
        .filter((mean) => mean.readings > 0)
        .sort((a, b) => (a.ogscId < b.ogscId ? -1 : 1));
    }
    const under = (mean: { systolic: number; diastolic: number }, limit: { systolic: number; diastolic: number }) =>
      mean.systolic < limit.systolic && mean.diastolic < limit.diastolic;

    /** Every row of a band, two a page. */
    async function listed(band: 'measured' | 'target' | 'hedis' | 'uncontrolled'): Promise<ControlledParticipant[]> {
      const rows: ControlledParticipant[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const page = await control.participants(clinic.id, '2026-11', band, TODAY, THRESHOLDS, after, 2);
        expect(page.rows.length).toBeLessThanOrEqual(2);
        rows.push(...page.rows);
        if (!page.nextAfter) return rows;
        after = page.nextAfter;
      }
      throw new Error('more pages than members');
    }

    it('lists each band exactly as the plain means put them, at and around both thresholds', async () => {
      const means = expectedMeans();
      const ids = (rows: { ogscId: string }[]) => rows.map((row) => row.ogscId);
      const expected = {
        measured: means,
        target: means.filter((mean) => under(mean, THRESHOLDS.target)),
        hedis: means.filter((mean) => under(mean, THRESHOLDS.hedis)),
        uncontrolled: means.filter((mean) => !under(mean, THRESHOLDS.hedis)),
      };
      // The fixtures reach both sides of each line.
      const names = (rows: { ogscId: string }[]) => ids(rows).map((id) => Object.entries(ogsc).find(([, value]) => value === id)![0]);
      expect(names(expected.target).sort()).toEqual(['justUnderTarget', 'meanJustUnder', 'sameDay']);
      expect(names(expected.uncontrolled).sort()).toEqual(['afibAndValues', 'diastolicAtHedis', 'systolicAtHedis']);
      for (const band of ['measured', 'target', 'hedis', 'uncontrolled'] as const) {
        const rows = await listed(band);
        expect(ids(rows)).toEqual(ids(expected[band]));
        for (const [index, row] of rows.entries()) {
          expect(row.readings).toBe(expected[band][index].readings);
          expect(row.systolic).toBeCloseTo(expected[band][index].systolic, 9);
          expect(row.diastolic).toBeCloseTo(expected[band][index].diastolic, 9);
        }
      }
      // The month's figures count the same members the lists show.
      const figures = (await control.trend(clinic.id, TODAY, THRESHOLDS)).at(-1)!;
      expect(figures).toMatchObject({
        measured: expected.measured.length,
        underTarget: expected.target.length,
        underHedis: expected.hedis.length,
      });
    });

    it('continues after a cursor even when the cursor’s member is no longer in the band', async () => {
      const all = await listed('measured');
      const page = await control.participants(clinic.id, '2026-11', 'target', TODAY, THRESHOLDS, `${all[0].ogscId}`, 50);
      const expected = expectedMeans().filter((mean) => mean.ogscId > all[0].ogscId && under(mean, THRESHOLDS.target));
      expect(page.rows.map((row) => row.ogscId)).toEqual(expected.map((mean) => mean.ogscId));
      expect(page.nextAfter).toBeNull();
    });
  });

  describe('adherence', () => {
    let clinic: ProgramGroup;
    // Days with a counting reading, per member. Today is 20 November; the calendar period is November.
    const plans: Record<string, string[]> = {
      // Calendar: 16 days exactly (met), 15 (one short: the last chance is the 30th), the month's edges.
      sixteen: daysFrom('2026-11-01', 16),
      fifteen: daysFrom('2026-11-01', 15),
      monthEdges: ['2026-10-31', '2026-11-01', '2026-11-30', '2026-12-01'],
      // 5 days and today counted: 11 still needed, 10 days left after today.
      lastChanceMeasured: [...daysFrom('2026-11-01', 4), TODAY],
      lastChanceOpen: daysFrom('2026-11-01', 5),
      // Rolling: first day 30 days before today (a new period starts today), 29 days before (its last day is today),
      // today, and tomorrow (a local day ahead of the platform's: the period has not begun).
      rollingNewToday: [addDays(TODAY, -30), addDays(TODAY, -29), TODAY],
      rollingEndsToday: [addDays(TODAY, -29), addDays(TODAY, -1), TODAY],
      firstToday: [TODAY],
      firstTomorrow: [addDays(TODAY, 1), addDays(TODAY, 2)],
      // Several periods back: only the current one's days count (from 5 November to 4 December).
      longRunning: [...daysFrom('2026-09-06', 10), ...daysFrom('2026-10-06', 3), '2026-11-04', '2026-11-05', '2026-11-19'],
      never: [],
    };
    const ogsc: Record<string, string> = {};

    beforeAll(async () => {
      clinic = new ProgramGroup('Adherence statements clinic');
      await em.fork().persist(clinic).flush();
      for (const [name, days] of Object.entries(plans)) {
        // Blood pressure on the first day, weights on every day (and a second weight on the first: one day).
        const first = days.slice(0, 1);
        ogsc[name] = await member(clinic, [...first.map((day) => bp(day, 120, 75)), ...weights(...days, ...first)]);
      }
      await member(clinic, weights(TODAY), 'withdrawn');
    });

    /** The period, count and standing of each member, by counting days one by one. */
    function expectedRows(period: 'calendar' | 'rolling'): Omit<AdherenceRow, 'participantId' | 'internalCustomerId'>[] {
      return Object.entries(plans).map(([name, days]) => {
        let start: string;
        if (period === 'calendar') start = '2026-11-01';
        else {
          start = [...days].sort()[0] ?? TODAY;
          while (addDays(start, 30) <= TODAY) start = addDays(start, 30);
        }
        const end = period === 'calendar' ? '2026-11-30' : addDays(start, 29);
        const counted = new Set(days.filter((day) => day >= start && day <= end)).size;
        const needed = Math.max(0, 16 - counted);
        // Days on which a reading could still be added: today when it has none yet, and every later day of the period.
        let open = 0;
        for (let day = days.includes(TODAY) ? addDays(TODAY, 1) : TODAY; day <= end; day = addDays(day, 1)) if (day >= start) open++;
        return {
          ogscId: ogsc[name],
          periodStart: start,
          periodEnd: end,
          days: counted,
          needed,
          met: needed === 0,
          reachable: counted + open >= 16,
          lastChanceDay: needed === 0 ? null : addDays(end, 1 - needed),
        };
      });
    }

    it.each(['calendar', 'rolling'] as const)(
      'counts %s periods as counting the days one by one does, in both orders, a page at a time',
      async (period) => {
        const expected = expectedRows(period);
        for (const order of ['needed_asc', 'needed_desc'] as const) {
          const sign = order === 'needed_asc' ? 1 : -1;
          const sorted = [...expected].sort((a, b) => sign * (a.needed - b.needed) || (a.ogscId < b.ogscId ? -1 : 1));
          const rows: AdherenceRow[] = [];
          let after: string | undefined;
          do {
            const page = await adherence.page(clinic.id, { period, order, after, limit: 2, today: TODAY });
            expect(page.rows.length).toBeLessThanOrEqual(2);
            rows.push(...page.rows);
            after = page.nextAfter ?? undefined;
          } while (after);
          expect(rows.map(({ participantId: _id, internalCustomerId: _customer, ...rest }) => rest)).toEqual(sorted);
          // The CSV's rows: the same, in one statement.
          expect((await adherence.all(clinic.id, period, order, TODAY)).map((row) => row.ogscId)).toEqual(sorted.map((row) => row.ogscId));
        }
      },
    );

    it('puts the edge cases where their rules say', () => {
      const byName = (period: 'calendar' | 'rolling') =>
        Object.fromEntries(expectedRows(period).map((row) => [Object.entries(ogsc).find(([, id]) => id === row.ogscId)![0], row]));
      const calendar = byName('calendar');
      expect(calendar.sixteen).toMatchObject({ days: 16, met: true });
      expect(calendar.fifteen).toMatchObject({ days: 15, needed: 1, reachable: true, lastChanceDay: '2026-11-30' });
      expect(calendar.monthEdges).toMatchObject({ days: 2 });
      expect(calendar.lastChanceMeasured).toMatchObject({ needed: 11, reachable: false, lastChanceDay: TODAY });
      expect(calendar.lastChanceOpen).toMatchObject({ needed: 11, reachable: true, lastChanceDay: TODAY });
      const rolling = byName('rolling');
      expect(rolling.rollingNewToday).toMatchObject({ periodStart: TODAY, days: 1 });
      expect(rolling.rollingEndsToday).toMatchObject({ periodStart: addDays(TODAY, -29), periodEnd: TODAY, days: 3 });
      expect(rolling.firstTomorrow).toMatchObject({ periodStart: addDays(TODAY, 1), days: 2, needed: 14 });
      expect(rolling.longRunning).toMatchObject({ periodStart: '2026-11-05', periodEnd: '2026-12-04', days: 2 });
      expect(rolling.never).toMatchObject({ periodStart: TODAY, days: 0 });
    });
  });
});
