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

/** `a + b` element by element (both arrays have `SLOTS` elements). */
const addArrays = (a: string, b: string) => `array(select x + y from unnest(${a}, ${b}) with ordinality as u(x, y, n) order by n)`;

/**
 * The set clause adding a month's increment to its row `t`: `increment(column)` is SQL for the increment's `days`
 * or array. A page without blood-pressure values leaves the arrays as they are (adding zeros would rebuild them for
 * nothing).
 */
const ADD_INCREMENT = (increment: (column: string) => string) => {
  const added = (column: string) =>
    `"${column}" = case when (${increment('bp_readings')})[${SLOTS}] = 0 then t."${column}" else ${addArrays(`t."${column}"`, increment(column))} end`;
  return `"days" = t."days" | ${increment('days')}, ${added('bp_readings')}, ${added('systolic_sum')}, ${added('diastolic_sum')}`;
};

/** A page of fewer readings than this (a notification's), all in one month, updates its row first (`UPDATE_SQL`). */
const UPDATE_FIRST_READINGS = 50;

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
 *   reconciliation's), adds them to their local months in one statement that rides in the writer's round trip: an
 *   inserted reading was not counted before; its day's bit is OR-ed into `days` and its sums added to the
 *   cumulative arrays from its day on. Both commute with any concurrent page of the same participant (the row lock
 *   orders them), so nothing is read back. A backfill page of 1,000 readings over 500 days upserts about 17 rows;
 *   a notification's page updates its month's row, and upserts it in a statement of its own only when the month
 *   has no row yet.
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
    const upsert: LandedStatement = {
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
    if (page.readings.length >= UPDATE_FIRST_READINGS || increments.length > 1) return [upsert];
    // A notification's page lands in one month, which usually has its row already: a plain update of it costs less
    // than the upsert's conflict path. A month without a row yet (about one page a month) is upserted after it.
    const update: LandedStatement = {
      sql: UPDATE_SQL,
      params: upsert.params,
      wantsRows: true,
      onRows: async (rows) => {
        if (rows.length === 0) await executePrepared(em, upsert.sql, upsert.params);
      },
    };
    return [update];
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
 * Where a page's month increments are bound: $2 the months, $3 their bits, and each array column ($4, $5, $6) as one
 * flat array of 31 slots a month (all as array literals, `arrayLiteral`). `incrementOf(k)` is SQL for the increment
 * of the `k`-th month (SQL, from 1): its `days` or its slice of an array column.
 */
const INCREMENT_PARAMS: Record<string, string> = {
  days: '$3::int[]',
  bp_readings: '$4::int[]',
  systolic_sum: '$5::bigint[]',
  diastolic_sum: '$6::bigint[]',
};
const incrementOf = (k: string) => (column: string) =>
  column === 'days' ? `(${INCREMENT_PARAMS.days})[${k}]` : `(${INCREMENT_PARAMS[column]})[(${k} - 1) * ${SLOTS} + 1 : ${k} * ${SLOTS}]`;

/**
 * SQL: true, once the participant's ($1) shared summary lock is held. As a filter it is a one-time init plan, taken
 * before the first row is read or locked (inside `exists`, the planner would drop the call); composed with the
 * writer's statement, it is still this part's own plan.
 */
const SHARED_LOCK = `(select pg_advisory_xact_lock_shared(${LOCK_KEY('$1::uuid')})::text) is not null`;

/** A page's month increments (`ReadingDays.pageLanded`) as an upsert of the participant's ($1) rows, in month order. */
const INCREMENT_SQL = (() => {
  const increment = incrementOf('i.k::int');
  return `insert into "participant_reading_month" as t ("participant_id", "month", "days", "bp_readings", "systolic_sum", "diastolic_sum")
    select $1::uuid, i.month, i.days, ${increment('bp_readings')}, ${increment('systolic_sum')}, ${increment('diastolic_sum')}
      from unnest($2::date[], ${INCREMENT_PARAMS.days}) with ordinality as i(month, days, k)
     where ${SHARED_LOCK}
    on conflict ("participant_id", "month") do update set ${ADD_INCREMENT((column) => `excluded."${column}"`)}
    returning 1`;
})();

/**
 * A small page's increment of one month as an update of the participant's ($1) row of that month ($2's only
 * element); returns a row if the month had one, so the caller upserts it otherwise (`INCREMENT_SQL`). By the primary
 * key, so a custom plan is no cheaper than the generic one and the prepared statement keeps it (with `= any` over
 * several months it was planned afresh on every page, slower than the upsert). Its snapshot may predate a recount
 * that committed while it waited for the lock: a row the recount deleted is skipped (read committed), and the
 * month is upserted afresh, as the recount left it.
 */
const UPDATE_SQL = `update "participant_reading_month" as t set ${ADD_INCREMENT(incrementOf('1'))}
   where t."participant_id" = $1::uuid and t."month" = ($2::date[])[1] and ${SHARED_LOCK}
  returning 1`;

/** Turns per-day values into running sums, in place. */
function cumulate(values: number[]): void {
  for (let index = 1; index < values.length; index++) values[index] += values[index - 1];
}
