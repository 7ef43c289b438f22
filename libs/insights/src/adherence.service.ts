import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { escapeFormula } from '@opendsp/csv';
import { encodeCursor, parseCursor, type CursorForm } from '@opendsp/pagination';
import { consentedMemberListSql } from '@opendsp/participants';
import { zonedDay } from '@opendsp/time-zone';
import { monthDaysWithin } from './reading-days.service.js';
import {
  ADHERENCE_THRESHOLD_DAYS,
  adherenceStanding,
  calendarMonth,
  ROLLING_PERIOD_DAYS,
  type AdherenceOrder,
  type AdherencePeriod,
  type AdherenceStanding,
} from './adherence.rules.js';

/** One participant's adherence in the current period. */
export interface AdherenceRow extends AdherenceStanding {
  participantId: string;
  ogscId: string;
  internalCustomerId: string | null;
  periodStart: string;
  periodEnd: string;
  /** Days in the period with at least one counting reading. */
  days: number;
}

export interface AdherenceCriteria {
  period: AdherencePeriod;
  order: AdherenceOrder;
  /** The previous page's `nextAfter`. */
  after?: string;
  limit: number;
  /** Today in `DSP_TIMEZONE` unless given. */
  today?: string;
}

export interface AdherencePage {
  today: string;
  threshold: number;
  rows: AdherenceRow[];
  /** The cursor of the next page; null on the last. */
  nextAfter: string | null;
}

/** A cursor that is not one of this list's (edited, from another list). */
export class AdherenceCursorError extends Error {
  constructor() {
    super('not an adherence cursor');
  }
}

const NEEDED = /^(?:[0-9]|1[0-6])$/;
const OGSC = /^OG-[0-9A-HJKMNP-TV-Z]{24}$/;

/**
 * Remote-monitoring adherence of a group's consented participants (docs/insights.md): days with a counting
 * reading in each participant's current period, from `participant_reading_month`, ordered by days still needed
 * (then OGSC ID) with keyset pages, so a deep page costs what the first does.
 */
@Injectable()
export class AdherenceService {
  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
  ) {}

  today(now = new Date()): string {
    return zonedDay(now, this.config.environment.timezone);
  }

  /** One page of the group's list; `form` is the cursor's form (the portal's plain, the API's opaque). */
  async page(groupUuid: string, criteria: AdherenceCriteria, form: CursorForm = 'plain'): Promise<AdherencePage> {
    const today = criteria.today ?? this.today();
    let after: { needed: number; ogscId: string } | undefined;
    if (criteria.after !== undefined) {
      const parts = parseCursor(criteria.after, [NEEDED, OGSC], form);
      if (!parts) throw new AdherenceCursorError();
      after = { needed: Number(parts[0]), ogscId: parts[1] };
    }
    const rows = await this.query(groupUuid, criteria.period, criteria.order, today, after, criteria.limit + 1);
    const shown = rows.slice(0, criteria.limit);
    const last = shown.at(-1);
    return {
      today,
      threshold: ADHERENCE_THRESHOLD_DAYS,
      rows: shown,
      nextAfter: rows.length > criteria.limit && last ? encodeCursor([String(last.needed), last.ogscId], form) : null,
    };
  }

  /** Every row of the group's list, in the list's order (the CSV download). */
  all(groupUuid: string, period: AdherencePeriod, order: AdherenceOrder, today = this.today()): Promise<AdherenceRow[]> {
    return this.query(groupUuid, period, order, today, undefined, null);
  }

  private async query(
    groupUuid: string,
    period: AdherencePeriod,
    order: AdherenceOrder,
    today: string,
    after: { needed: number; ogscId: string } | undefined,
    limit: number | null,
  ): Promise<AdherenceRow[]> {
    const month = calendarMonth(today);
    // Sorting by sign × needed turns both directions into one ascending keyset on (key, ogsc_id).
    const sign = order === 'needed_desc' ? -1 : 1;
    const start =
      period === 'calendar'
        ? `?::date`
        : // The rolling period holding today: whole 30-day steps from the first counting day (none yet: from today).
          `coalesce(f.first_day + (greatest(0, ?::date - f.first_day) / ${ROLLING_PERIOD_DAYS}) * ${ROLLING_PERIOD_DAYS}, ?::date)`;
    const startParams = period === 'calendar' ? [month.start] : [today, today];
    const end = period === 'calendar' ? `?::date` : `p.period_start + ${ROLLING_PERIOD_DAYS - 1}`;
    const endParams = period === 'calendar' ? [month.end] : [];
    // Every month row has a counting day (a row is made by one), so the participant's first month row holds their
    // first counted day: its lowest set bit (bit d-1 is day d; `bit(32)`'s text is written highest bit first).
    const firstDay =
      period === 'calendar'
        ? 'null::date'
        : `(select mo.month + position('1' in reverse(mo.days::bit(32)::text)) - 1 from participant_reading_month mo
             where mo.participant_id = m.participant_id order by mo.month limit 1)`;
    // A period is one or two month rows (a rolling one spans two). Each row's days in the period are its bits from
    // lo to hi (days of the month), counted by bit_count; the mask is made in bigint, where 1 << 31 does not
    // overflow. Today always lies in the current period, so whether it is counted comes from the same rows (one
    // range per member instead of a second lookup for today: the CSV and the API read every row's).
    // Materialized for the rolling period: inlined, every use of `first_day` below (the period's start three
    // times, its end, the count's bounds, the output) would repeat its subquery, four index lookups per
    // participant instead of one (EXPLAIN ANALYZE, 5,000 participants: 290 → 150 ms).
    const { lo, hi } = monthDaysWithin('q.period_start', 'q.period_end', 'mo.month');
    const needed = `greatest(0, ${ADHERENCE_THRESHOLD_DAYS} - r.days)`;
    const rows = await this.em.fork().execute<
      {
        participant_id: string;
        ogsc_id: string;
        internal_customer_id: string | null;
        period_start: string;
        period_end: string;
        days: number;
        today_counted: boolean;
      }[]
    >(
      `with m as (${consentedMemberListSql('?::uuid')}),
       f as ${period === 'calendar' ? '' : 'materialized '}(select m.participant_id, m.ogsc_id, m.internal_customer_id, ${firstDay} as first_day from m),
       p as (select f.*, ${start} as period_start from f),
       q as (select p.*, ${end} as period_end from p),
       r as (select q.*, c.days, c.today_counted
             from q cross join lateral (
               select coalesce(sum(bit_count((mo.days & ((1::bigint << ${hi}) - (1::bigint << (${lo} - 1)))::int)::bit(32))), 0)::int as days,
                      coalesce(bool_or(case when mo.month = ?::date then (mo.days >> (?::date - mo.month)) & 1 = 1 else false end), false) as today_counted
                 from participant_reading_month mo
                where mo.participant_id = q.participant_id and mo.month between date_trunc('month', q.period_start::timestamp)::date and q.period_end) c)
       select r.participant_id, r.ogsc_id, r.internal_customer_id, to_char(r.period_start, 'YYYY-MM-DD') as period_start,
              to_char(r.period_end, 'YYYY-MM-DD') as period_end, r.days, r.today_counted
       from r
       ${after ? `where (${sign} * ${needed}, r.ogsc_id) > (?, ?)` : ''}
       order by ${sign} * ${needed}, r.ogsc_id
       ${limit === null ? '' : 'limit ?'}`,
      [
        groupUuid,
        ...startParams,
        ...endParams,
        month.start,
        today,
        ...(after ? [sign * after.needed, after.ogscId] : []),
        ...(limit === null ? [] : [limit]),
      ],
    );
    return rows.map((row) => ({
      participantId: row.participant_id,
      ogscId: row.ogsc_id,
      internalCustomerId: row.internal_customer_id,
      periodStart: row.period_start,
      periodEnd: row.period_end,
      days: Number(row.days),
      ...adherenceStanding(Number(row.days), row.period_end, today, Boolean(row.today_counted)),
    }));
  }
}

/** The CSV download's header and lines, one per participant; the partner's customer IDs are kept from running as formulas. */
export function adherenceCsvRecords(period: AdherencePeriod, rows: readonly AdherenceRow[]): (string | number)[][] {
  return [
    [
      'ogsc_id',
      'internal_customer_id',
      'period',
      'period_start',
      'period_end',
      'days_with_readings',
      'threshold_days',
      'days_still_needed',
      'threshold_met',
      'can_still_be_met',
      'last_day_to_meet',
    ],
    ...rows.map((row) => [
      row.ogscId,
      escapeFormula(row.internalCustomerId ?? ''),
      period,
      row.periodStart,
      row.periodEnd,
      row.days,
      ADHERENCE_THRESHOLD_DAYS,
      row.needed,
      row.met ? 'true' : 'false',
      row.reachable ? 'true' : 'false',
      row.lastChanceDay ?? '',
    ]),
  ];
}
