import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  arrayLiteral,
  executePrepared,
  ReadingsLanded,
  ReadingsRepository,
  type LandedPage,
  type LandedStatement,
} from '@opendsp/measurements';
import { ParticipantReadingsPort } from '@opendsp/participants';
import { ADHERENCE_KINDS } from './adherence.rules.js';

/** The advisory lock key of a participant's summary (`participant`: SQL for the participant's ID as uuid). */
const LOCK_KEY = (participant: string) => `hashtextextended('participant_reading_month:' || ${participant}::text, 0)`;

/** Slots of a month row's arrays: one per possible day. */
const SLOTS = 31;

/**
 * SQL for the days of a month row (`month`, its first day) that lie from `from` to `to` (dates; the row's month
 * overlaps them): `lo` and `hi`, days of the month, as adherence's masks and control's window sums read them.
 */
export function monthDaysWithin(from: string, to: string, month: string): { lo: string; hi: string } {
  return { lo: `greatest(1, ${from} - ${month} + 1)`, hi: `least(${SLOTS}, ${to} - ${month} + 1)` };
}

/** One local month's share of a page's new readings; the arrays are cumulative over the month's days. */
interface MonthIncrement {
  /** `YYYY-MM`. */
  prefix: string;
  month: string;
  days: number;
  bpReadings: number[];
  systolicSum: number[];
  diastolicSum: number[];
}

/** `a + b` element by element, for the conflict branch of the upsert (both arrays have `SLOTS` elements). */
const addArrays = (a: string, b: string) => `array(select x + y from unnest(${a}, ${b}) with ordinality as u(x, y, n) order by n)`;

/**
 * Month rows from the day rows of `ReadingsRepository.dailySummarySql` (`days`): each month's presence bits, and
 * running sums over its 31 slots (a day without readings repeats the sum before it). The migration that made the
 * table fills it the same way from the former day rows.
 */
function monthsOf(days: string): string {
  return `with x as (select s.participant_id, date_trunc('month', s.day::timestamp)::date as month, s.day - date_trunc('month', s.day::timestamp)::date + 1 as d,
                           s.readings, s.bp_readings, s.systolic_sum, s.diastolic_sum from (${days}) s),
          mo as (select x.participant_id, x.month, bit_or(case when x.readings > 0 then 1 << (x.d - 1) else 0 end) as days
                   from x group by 1, 2),
          slot as (select mo.participant_id, mo.month, mo.days, g.d,
                          sum(coalesce(x.bp_readings, 0)) over w as bp, sum(coalesce(x.systolic_sum, 0)) over w as sys,
                          sum(coalesce(x.diastolic_sum, 0)) over w as dia
                     from mo cross join generate_series(1, ${SLOTS}) as g(d)
                     left join x on x.participant_id = mo.participant_id and x.month = mo.month and x.d = g.d
                   window w as (partition by mo.participant_id, mo.month order by g.d))
     select participant_id, month, days, array_agg(bp::int order by d) as bp_readings, array_agg(sys::bigint order by d) as systolic_sum,
            array_agg(dia::bigint order by d) as diastolic_sum
       from slot group by participant_id, month, days`;
}

/**
 * Keeps `participant_reading_month` in step with the reading tables, inside the sync writer's transaction
 * (`ReadingsLanded`), without reading them back for the usual page:
 *
 * - A page whose readings are all new (the upsert inserted them), fresh or background (a backfill's, a
 *   reconciliation's), adds them to their local months in one upsert that rides in the writer's round trip: an
 *   inserted reading was not counted before; its day's bit is OR-ed into `days` and its sums added to the
 *   cumulative arrays from its day on. Both commute with any concurrent page of the same participant (the row lock
 *   orders them), so nothing is read back. A backfill page of 1,000 readings over 500 days touches about 17 rows.
 * - A page with a changed reading (a re-sent reading whose values or time differ) may have moved a reading to
 *   another day or month, which the page no longer says: all of the participant's months are recounted from the
 *   readings through `ReadingsRepository.dailySummarySql` (rare: OMRON re-sends readings unchanged, and unchanged
 *   ones do not land).
 *
 * Recount and increments: an increment takes a shared transaction-scoped advisory lock on the participant (in its
 * statement), a recount the exclusive one before its statements. So a page either committed before the recount's
 * statements start (its readings are in their snapshot and its increments replaced with the rest) or adds its
 * increments after the recount committed (its readings were not in it). Without it, a page's new month row, not
 * yet committed, would be invisible to the recount's delete and collide with the recount's insert.
 *
 * A withdrawal that deletes the readings deletes the months in the same transaction, through the participants
 * room's `ParticipantReadingsPort`.
 */
@Injectable()
export class ReadingDays implements OnModuleInit {
  constructor(
    private readonly landed: ReadingsLanded,
    private readonly readings: ReadingsRepository,
    private readonly participantReadings: ParticipantReadingsPort,
  ) {}

  onModuleInit(): void {
    this.landed.listen('insights.reading-days', (em, page) => this.pageLanded(em, page));
    this.participantReadings.implement(async (em, participantId) => {
      await this.forget(em, participantId);
      // A summary, not readings: it does not add to the count.
      return 0;
    });
  }

  /**
   * The readings-landed listener. A page's usual work (its month increments) is returned as one statement for
   * `ReadingsLanded.apply` to send in the writer's round trip; only a page with a changed reading runs its recount
   * here, in its own statements.
   */
  async pageLanded(em: EntityManager, page: LandedPage): Promise<LandedStatement[]> {
    // Activity pages change nothing here: steps do not count as a day's measurement and carry no blood pressure.
    if (!ADHERENCE_KINDS.includes(page.kind)) return [];
    if (page.readings.some((reading) => !reading.inserted)) {
      await this.recompute(em, page.participantId);
      return [];
    }
    const months = new Map<string, MonthIncrement>();
    // A page's readings are mostly in time order: the month of the reading before is usually this one's.
    let entry: MonthIncrement | undefined;
    for (const { row } of page.readings) {
      // `YYYY-MM-DDTHH:MM:SS`: the month from its first seven characters, the day from two digits (no parsing).
      const local = String(row.local_time);
      const day = (local.charCodeAt(8) - 48) * 10 + (local.charCodeAt(9) - 48);
      if (!entry || !local.startsWith(entry.prefix)) {
        const prefix = local.slice(0, 7);
        entry = months.get(prefix);
        if (!entry) {
          const zeros = () => new Array<number>(SLOTS).fill(0);
          entry = { prefix, month: `${prefix}-01`, days: 0, bpReadings: zeros(), systolicSum: zeros(), diastolicSum: zeros() };
          months.set(prefix, entry);
        }
      }
      entry.days |= 1 << (day - 1);
      if (page.kind === 'blood_pressure' && typeof row.systolic_mmhg === 'number' && typeof row.diastolic_mmhg === 'number') {
        // Per day here; made cumulative below.
        entry.bpReadings[day - 1]++;
        entry.systolicSum[day - 1] += row.systolic_mmhg;
        entry.diastolicSum[day - 1] += row.diastolic_mmhg;
      }
    }
    // In month order, so concurrent pages of one participant lock the rows they share in the same order.
    const increments = [...months.values()].sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : 0));
    for (const entry of increments) for (const values of [entry.bpReadings, entry.systolicSum, entry.diastolicSum]) cumulate(values);
    const increment: LandedStatement = {
      sql: INCREMENT_SQL,
      params: [
        page.participantId,
        arrayLiteral(increments.map((entry) => entry.month)),
        arrayLiteral(increments.map((entry) => entry.days)),
        arrayLiteral(increments.flatMap((entry) => entry.bpReadings)),
        arrayLiteral(increments.flatMap((entry) => entry.systolicSum)),
        arrayLiteral(increments.flatMap((entry) => entry.diastolicSum)),
      ],
    };
    return [increment];
  }

  /** Recomputes every month of a participant from their readings. */
  async recompute(em: EntityManager, participantId: string): Promise<void> {
    await em.execute(`select pg_advisory_xact_lock(${LOCK_KEY('?::uuid')})`, [participantId]);
    await this.recount(em, participantId);
  }

  /**
   * Replaces the participant's months with a count of their readings; the caller holds the participant's lock (no
   * other transaction adds a month of the participant meanwhile: their increments wait for it). Two statements,
   * the insert prepared (its text is fixed; parsing and planning the summary's union of every counting kind cost
   * a good part of it). Rare: a page with a changed reading.
   */
  private async recount(em: EntityManager, participantId: string): Promise<void> {
    const summary = this.readings.dailySummarySql(participantId, ADHERENCE_KINDS, '$1');
    await em.execute(`delete from "participant_reading_month" where "participant_id" = ?`, [participantId]);
    await executePrepared(
      em,
      `insert into "participant_reading_month" ("participant_id", "month", "days", "bp_readings", "systolic_sum", "diastolic_sum")
       ${monthsOf(summary.sql)}`,
      summary.params,
    );
  }

  /**
   * Rebuilds the whole summary from the readings (a repair, or a database seeded without the sync's writer);
   * run it in a transaction that also holds the change-sequence lock, so no page lands meanwhile.
   */
  async rebuildAll(em: EntityManager): Promise<void> {
    await em.execute(`delete from "participant_reading_month"`);
    const summary = this.readings.dailySummarySql(null, ADHERENCE_KINDS);
    await em.execute(
      `insert into "participant_reading_month" ("participant_id", "month", "days", "bp_readings", "systolic_sum", "diastolic_sum")
       ${monthsOf(summary.sql)}`,
      summary.params,
    );
  }

  async forget(em: EntityManager, participantId: string): Promise<void> {
    await em.execute(`delete from "participant_reading_month" where "participant_id" = ?`, [participantId]);
  }
}

/**
 * A page's month increments (`ReadingDays.pageLanded`). Bound parameters: the participant, the months and their
 * bits, and each array column as one flat array of 31 slots a month, sliced by the month's ordinal (all as array
 * literals, `arrayLiteral`). The shared lock is a one-time filter's init plan, taken before the first row is
 * inserted (inside `exists`, the planner would drop the call); composed with the writer's statement, it is still
 * this part's own plan. A page without blood-pressure values leaves the arrays as they are (adding zeros would
 * rebuild them for nothing).
 */
const INCREMENT_SQL = (() => {
  const slice = (param: string) => `(${param})[(i.k::int - 1) * ${SLOTS} + 1 : i.k::int * ${SLOTS}]`;
  return `insert into "participant_reading_month" as t ("participant_id", "month", "days", "bp_readings", "systolic_sum", "diastolic_sum")
         select $1::uuid, i.month, i.days, ${slice('$4::int[]')}, ${slice('$5::bigint[]')}, ${slice('$6::bigint[]')}
           from unnest($2::date[], $3::int[]) with ordinality as i(month, days, k)
          where (select pg_advisory_xact_lock_shared(${LOCK_KEY('$1::uuid')})::text) is not null
         on conflict ("participant_id", "month") do update set
           "days" = t."days" | excluded."days",
           "bp_readings" = case when excluded."bp_readings"[${SLOTS}] = 0 then t."bp_readings" else ${addArrays('t."bp_readings"', 'excluded."bp_readings"')} end,
           "systolic_sum" = case when excluded."bp_readings"[${SLOTS}] = 0 then t."systolic_sum" else ${addArrays('t."systolic_sum"', 'excluded."systolic_sum"')} end,
           "diastolic_sum" = case when excluded."bp_readings"[${SLOTS}] = 0 then t."diastolic_sum" else ${addArrays('t."diastolic_sum"', 'excluded."diastolic_sum"')} end
         returning 1`;
})();

/** Turns per-day values into running sums, in place. */
function cumulate(values: number[]): void {
  for (let index = 1; index < values.length; index++) values[index] += values[index - 1];
}
