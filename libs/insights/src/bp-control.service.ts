import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import { encodeCursor, parseCursor } from '@opendsp/pagination';
import { consentedMemberListSql } from '@opendsp/participants';
import { monthWindow, trendMonths, type BpThreshold, type ControlBand, type MonthWindow } from './bp-control.rules.js';
import { DEFAULT_HEDIS, DEFAULT_TARGET, GroupBpTargets } from './group-bp-targets.entity.js';
import { GroupBpTrend } from './group-bp-trend.entity.js';
import { monthDaysWithin } from './reading-days.service.js';

/** How long a group's computed trend is shown before a view recomputes it. */
export const TREND_FRESH_MS = 10 * 60_000;

/**
 * The months a refresh recomputes: this month's window ends today and last month's ended less than 30 days ago,
 * so a reading measured in them can still arrive. Earlier months change only with history (a new connection's
 * backfill), which the day's first view counts when it computes the whole trend.
 */
export const REFRESHED_MONTHS = 2;

export interface GroupThresholds {
  /** ACC/AHA 2017 (default 130/80). */
  target: BpThreshold;
  /** HEDIS CBP (default 140/90). */
  hedis: BpThreshold;
}

/** A month's figures: participants with a blood-pressure reading in its window, and how many are under each threshold. */
export interface ControlFigures extends MonthWindow {
  measured: number;
  underTarget: number;
  underHedis: number;
}

export interface ControlledParticipant {
  ogscId: string;
  internalCustomerId: string | null;
  systolic: number;
  diastolic: number;
  readings: number;
}

const OGSC = /^OG-[0-9A-HJKMNP-TV-Z]{24}$/;

/** A cursor that is not one of this list's. */
export class ControlCursorError extends Error {
  constructor() {
    super('not a control list cursor');
  }
}

/**
 * Blood-pressure control of a group's consented participants (docs/insights.md): each participant's mean of
 * their readings in the 30 days up to a day, from `participant_reading_month`'s cumulative sums, and the share under the
 * group's two thresholds, for the current month and as a monthly trend. Each participant's months (a 30-day
 * window spans one or two) are found through the summary's primary key (a lateral lookup per member), never by scanning it.
 */
@Injectable()
export class BpControlService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(BpControlService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditLog,
  ) {}

  /** A refresh still running finishes before the database connections close. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.refreshing.values());
  }

  async thresholds(groupUuid: string, em: EntityManager = this.em.fork()): Promise<GroupThresholds> {
    const row = await em.findOne(GroupBpTargets, { groupId: groupUuid });
    return row
      ? {
          target: { systolic: row.targetSystolic, diastolic: row.targetDiastolic },
          hedis: { systolic: row.hedisSystolic, diastolic: row.hedisDiastolic },
        }
      : { target: { ...DEFAULT_TARGET }, hedis: { ...DEFAULT_HEDIS } };
  }

  /** Sets the group's thresholds; audited (before and after) in the same transaction. */
  async setThresholds(group: { id: string; groupId: string }, thresholds: GroupThresholds, actor: AuditActor): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      const before = await this.thresholds(group.id, em);
      const row = await em.findOne(GroupBpTargets, { groupId: group.id });
      if (!row) {
        em.create(GroupBpTargets, {
          groupId: group.id,
          targetSystolic: thresholds.target.systolic,
          targetDiastolic: thresholds.target.diastolic,
          hedisSystolic: thresholds.hedis.systolic,
          hedisDiastolic: thresholds.hedis.diastolic,
        });
      } else {
        row.targetSystolic = thresholds.target.systolic;
        row.targetDiastolic = thresholds.target.diastolic;
        row.hedisSystolic = thresholds.hedis.systolic;
        row.hedisDiastolic = thresholds.hedis.diastolic;
        row.updatedAt = new Date();
      }
      // The figures counted against the old thresholds go with them.
      await em.nativeDelete(GroupBpTrend, { groupId: group.id });
      this.audit.record(em, {
        action: 'group.bp_thresholds_changed',
        actor,
        target: { type: 'group', id: group.groupId },
        detail: { before, after: thresholds },
      });
    });
  }

  /**
   * The trend as last computed for this group, today and these thresholds. A year of a large group's summary rows
   * takes longer than a page may (seconds at 5,000 members), and past months change only when late readings
   * arrive, so the figures are kept (`group_bp_trend`) and the page says when they were computed:
   * - none kept, or kept for another day or other thresholds: computed now, in the view, and kept;
   * - kept and older than `TREND_FRESH_MS`: shown as they are while one refresh per group and process computes
   *   the last `REFRESHED_MONTHS` again after the view (`refreshing` holds it until it is kept), so no view waits
   *   for a year's rows only because ten minutes passed, and a refresh reads two or three months of rows, not
   *   thirteen (on two cores, a view running beside a whole year's refresh was a third slower).
   */
  async cachedTrend(
    groupUuid: string,
    today: string,
    thresholds: GroupThresholds,
    now = new Date(),
  ): Promise<{ months: ControlFigures[]; computedAt: Date }> {
    const em = this.em.fork();
    const kept = await em.findOne(GroupBpTrend, { groupId: groupUuid });
    if (kept && kept.today === today && sameThresholds(kept.thresholds as GroupThresholds, thresholds)) {
      if (now.getTime() - kept.computedAt.getTime() >= TREND_FRESH_MS && !this.refreshing.has(groupUuid)) {
        const refresh = this.keepTrend(groupUuid, today, thresholds, now, kept.months as ControlFigures[])
          .catch((error: unknown) => this.logger.error({ err: error, groupId: groupUuid }, 'blood-pressure trend could not be refreshed'))
          .finally(() => this.refreshing.delete(groupUuid));
        this.refreshing.set(
          groupUuid,
          refresh.then(() => undefined),
        );
      }
      return { months: kept.months as ControlFigures[], computedAt: kept.computedAt };
    }
    return { months: await this.keepTrend(groupUuid, today, thresholds, now), computedAt: now };
  }

  /** The refreshes running in this process, by group (tests and shutdown wait on them). */
  readonly refreshing = new Map<string, Promise<void>>();

  /** Computes and keeps the trend; given the figures kept for the same day, only their last months are computed. */
  private async keepTrend(
    groupUuid: string,
    today: string,
    thresholds: GroupThresholds,
    now: Date,
    kept?: ControlFigures[],
  ): Promise<ControlFigures[]> {
    const windows = trendMonths(today);
    const months = kept
      ? [...kept.slice(0, -REFRESHED_MONTHS), ...(await this.trend(groupUuid, today, thresholds, windows.slice(-REFRESHED_MONTHS)))]
      : await this.trend(groupUuid, today, thresholds, windows);
    await this.em.fork().upsert(GroupBpTrend, { groupId: groupUuid, computedAt: now, today, thresholds, months });
    return months;
  }

  /** The figures of each of the last months, oldest first (the current month's window ends today), or of `windows`. */
  async trend(groupUuid: string, today: string, thresholds: GroupThresholds, windows = trendMonths(today)): Promise<ControlFigures[]> {
    const params: unknown[] = [];
    const values = windows
      .map((window) => {
        params.push(window.month, window.from, window.to);
        return `(?::text, ?::date, ?::date)`;
      })
      .join(', ');
    const rows = await this.em.fork().execute<{ month: string; measured: number; under_target: number; under_hedis: number }[]>(
      `with m as (${consentedMemberListSql('?::uuid')}),
       w(month, from_day, to_day) as (values ${values}),
       d as (select m.participant_id, x.month as mon, x.bp_readings, x.systolic_sum, x.diastolic_sum
               from m cross join lateral (
                 select month, bp_readings, systolic_sum, diastolic_sum from participant_reading_month
                  where participant_id = m.participant_id and month between date_trunc('month', ?::timestamp)::date and ?::date
                    and bp_readings[31] > 0) x),
       s as (select w.month, d.participant_id, sum(${windowSum('d.systolic_sum')})::numeric / sum(${windowSum('d.bp_readings')}) as systolic,
                    sum(${windowSum('d.diastolic_sum')})::numeric / sum(${windowSum('d.bp_readings')}) as diastolic
               from w join d on d.mon between date_trunc('month', w.from_day::timestamp)::date and w.to_day
               cross join lateral (select ${WINDOW_BOUNDS('w.from_day', 'w.to_day', 'd.mon')}) b
              group by w.month, d.participant_id
             having sum(${windowSum('d.bp_readings')}) > 0)
       select month, count(*)::int as measured,
              count(*) filter (where systolic < ? and diastolic < ?)::int as under_target,
              count(*) filter (where systolic < ? and diastolic < ?)::int as under_hedis
         from s group by month`,
      [
        groupUuid,
        ...params,
        windows[0].from,
        windows.at(-1)!.to,
        thresholds.target.systolic,
        thresholds.target.diastolic,
        thresholds.hedis.systolic,
        thresholds.hedis.diastolic,
      ],
    );
    const byMonth = new Map(rows.map((row) => [row.month, row]));
    return windows.map((window) => {
      const row = byMonth.get(window.month);
      return {
        ...window,
        measured: Number(row?.measured ?? 0),
        underTarget: Number(row?.under_target ?? 0),
        underHedis: Number(row?.under_hedis ?? 0),
      };
    });
  }

  /**
   * The participants a month's figure counts, by OGSC ID, 50 at a time: everyone measured in its window, those
   * under the target or HEDIS threshold, or those under neither (not controlled by HEDIS's measure).
   */
  async participants(
    groupUuid: string,
    month: string,
    band: ControlBand,
    today: string,
    thresholds: GroupThresholds,
    after: string | undefined,
    limit: number,
  ): Promise<{ window: MonthWindow; rows: ControlledParticipant[]; nextAfter: string | null }> {
    let afterId: string | undefined;
    if (after !== undefined) {
      const parts = parseCursor(after, [OGSC]);
      if (!parts) throw new ControlCursorError();
      afterId = parts[0];
    }
    const window = monthWindow(month, today);
    const band_ = bandSql(band, thresholds);
    // The band and the page's limit are conditions of the statement: it walks the members in OGSC ID order and
    // stops at the page's last match, so a page computes the means of the members up to it, not of the group.
    // The cursor's condition sits outside the sorted members (an `offset 0` subquery keeps it there), so each
    // member's OGSC ID is looked up once; PostgreSQL applies it to the members before their sums are computed.
    const rows = await this.em
      .fork()
      .execute<{ ogsc_id: string; internal_customer_id: string | null; systolic_sum: string; diastolic_sum: string; readings: number }[]>(
        `select m.ogsc_id, m.internal_customer_id, x.systolic_sum, x.diastolic_sum, x.readings
         from (select * from (${consentedMemberListSql('?::uuid')}) members order by members.ogsc_id offset 0) m
         cross join lateral (
           select sum(${windowSum('mo.systolic_sum')}) as systolic_sum, sum(${windowSum('mo.diastolic_sum')}) as diastolic_sum,
                  sum(${windowSum('mo.bp_readings')})::int as readings
             from participant_reading_month mo cross join lateral (select ${WINDOW_BOUNDS('?::date', '?::date', 'mo.month')}) b
            where mo.participant_id = m.participant_id and mo.month between date_trunc('month', ?::timestamp)::date and ?::date
              and mo.bp_readings[31] > 0) x
        where x.readings > 0 and ${band_.sql} ${afterId ? 'and m.ogsc_id > ?' : ''}
        order by m.ogsc_id
        limit ?`,
        [groupUuid, window.from, window.to, window.from, window.to, ...band_.params, ...(afterId ? [afterId] : []), limit + 1],
      );
    const chosen = rows.map((row) => ({
      ogscId: row.ogsc_id,
      internalCustomerId: row.internal_customer_id,
      systolic: Number(row.systolic_sum) / row.readings,
      diastolic: Number(row.diastolic_sum) / row.readings,
      readings: Number(row.readings),
    }));
    const shown = chosen.slice(0, limit);
    return {
      window,
      rows: shown,
      nextAfter: chosen.length > limit ? encodeCursor([shown.at(-1)!.ogscId]) : null,
    };
  }
}

/** The days of a month row inside a window (`monthDaysWithin`) as the columns `lo` and `hi`, for a lateral `b`. */
const WINDOW_BOUNDS = (from: string, to: string, month: string) => {
  const { lo, hi } = monthDaysWithin(from, to, month);
  return `${lo} as lo, ${hi} as hi`;
};

/** A cumulative array's sum over the days `b.lo`..`b.hi` (element 0 is null: nothing before day 1). */
const windowSum = (column: string) => `(${column}[b.hi] - coalesce(${column}[b.lo - 1], 0))`;

/**
 * A band as a condition on a member's sums (`x`): under a threshold when both means are strictly below it,
 * compared as `sum < threshold × readings` so the integers decide exactly, as `isUnder` does on the means.
 */
function bandSql(band: ControlBand, thresholds: GroupThresholds): { sql: string; params: number[] } {
  const under = (threshold: BpThreshold) => ({
    sql: '(x.systolic_sum < ? * x.readings and x.diastolic_sum < ? * x.readings)',
    params: [threshold.systolic, threshold.diastolic],
  });
  switch (band) {
    case 'measured':
      return { sql: 'true', params: [] };
    case 'target':
      return under(thresholds.target);
    case 'hedis':
      return under(thresholds.hedis);
    case 'uncontrolled': {
      const hedis = under(thresholds.hedis);
      return { sql: `not ${hedis.sql}`, params: hedis.params };
    }
  }
}

/** jsonb keeps keys in its own order, so the stored thresholds are compared value by value. */
function sameThresholds(a: GroupThresholds, b: GroupThresholds): boolean {
  return (
    a.target.systolic === b.target.systolic &&
    a.target.diastolic === b.target.diastolic &&
    a.hedis.systolic === b.hedis.systolic &&
    a.hedis.diastolic === b.hedis.diastolic
  );
}
