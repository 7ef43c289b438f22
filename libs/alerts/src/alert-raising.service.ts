import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { groupPublicIdSql } from '@opendsp/groups';
import { executeBound, executePrepared, type LandedPage, type LandedStatement } from '@opendsp/measurements';
import { consentedInGroupsSql, ogscIdSql } from '@opendsp/participants';
import { queueEventsSql } from '@opendsp/webhooks';
import { AlertLabels } from './alert-labels.service.js';
import type { AlertRule } from './alert-rules.catalogue.js';
import { alertChartTail, crisisCandidates, landedExtremes, PARTICIPANT_PAGE_PATH } from './alert-rules.rules.js';

/**
 * The newest of the readings' measurement times. They are ISO 8601 in UTC as the normaliser writes them
 * (`toISOString`'s form, which the writer's reading times compare as text too), so the greatest text is the newest
 * time: no date is parsed for a page's 1,000 readings.
 */
function newestMeasuredAt(times: readonly string[]): string {
  let newest = times[0];
  for (const time of times) if (time > newest) newest = time;
  return newest;
}

/**
 * SQL for the JSON text of an object with these members in this order, as `JSON.stringify` writes it (no spaces):
 * each value is an SQL expression made JSON by `to_json` (text quoted and escaped, a `json` value as it is, null
 * as `null`).
 */
function jsonTextSql(members: Record<string, string>): string {
  const parts = Object.entries(members).map(
    ([name, value], index) => `'${index === 0 ? '{' : ','}"${name}":' || coalesce(to_json(${value})::text, 'null')`,
  );
  return `(${parts.join(' || ')} || '}')`;
}

/**
 * The rule sets of the participant's consented groups ($1; libs/participants' condition, as the API's reading pages
 * use it) that a page's highest systolic and diastolic ($2, $3) or a flagged reading ($4) may meet.
 */
const RULES_SQL = `select r.group_id, r.bp_crisis_enabled, r.systolic_at_least, r.diastolic_at_least, r.afib_enabled
    from alert_rule_set r
   where ((r.bp_crisis_enabled and (r.systolic_at_least <= $2::int or r.diastolic_at_least <= $3::int)) or (r.afib_enabled and $4::boolean))
     and ${consentedInGroupsSql('$1::uuid', 'e.group_id = r.group_id')}`;

/** SQL: the participant ($1) has an open alert of the rule in the group of the rule set `r`. */
const OPEN_SQL = (rule: AlertRule) =>
  `exists (select 1 from alert a where a.group_id = r.group_id and a.participant_id = $1::uuid and a.rule = '${rule}' and a.status = 'open')`;

/**
 * SQL: the alert is one of the participant's ($1) silences that a page's newest reading (`newest`) ends, i.e. an
 * open `no_reading` alert about an older last reading (a backfilled older reading does not end a silence that
 * began after it).
 */
const ENDED_SILENCE = (newest: string) =>
  `participant_id = $1::uuid and rule = 'no_reading' and status = 'open' and measured_at < ${newest}::timestamptz`;

/** SQL: the participant has a silence that `newest` ends. */
const SILENCED_SQL = (newest: string) => `exists (select 1 from alert where ${ENDED_SILENCE(newest)})`;

/** Resolves the silences of the participant ($1) that a page's newest reading ($2) ends. */
const RESOLVE_SQL = `update alert set status = 'resolved', resolved_at = now(), resolution = 'new_reading'
   where ${ENDED_SILENCE('$2')}
   returning 1`;

/**
 * A small blood pressure page's probe, one row: whether it may raise anything (a rule set it may meet whose rule
 * is not open already; $1–$4 as in `RULES_SQL`) and whether it ends a silence ($5, its newest reading).
 */
const PROBE_SQL = `select exists (select 1 from (${RULES_SQL}) r
   where (r.bp_crisis_enabled and (r.systolic_at_least <= $2::int or r.diastolic_at_least <= $3::int) and not ${OPEN_SQL('bp_crisis')})
      or (r.afib_enabled and $4::boolean and not ${OPEN_SQL('possible_afib')})) as may_raise,
   ${SILENCED_SQL('$5')} as silenced`;

/** A page of another kind's probe, one row: whether it ends a silence ($2, its newest reading). */
const SILENCE_PROBE_SQL = `select ${SILENCED_SQL('$2')} as silenced`;

/** A page of at least this many readings raises in the writer's round trip (`AlertRaising.onLanded`). */
const INLINE_RAISE_READINGS = 50;

/**
 * The auxiliary CTEs of a blood pressure page's raise (`onLanded`), composed into the writer's statement. Bound
 * parameters: $1 the participant, $2/$3/$4 the page's highest systolic and diastolic and whether any reading is
 * flagged, $5 its candidate readings (JSON of `crisisCandidates` with each one's `chart_tail`), $6 the time
 * raised (ISO 8601), $7 the participant page's URL up to the OGSC ID.
 *
 * - `alerts_rules`: `RULES_SQL`.
 * - `alerts_proposed`: for each met rule, the newest candidate meeting it (lowest `ord`), with the alert's detail.
 * - `alerts_raised`: the alerts inserted; one already open for the group, participant and rule stays the only one
 *   (`alert_open_unique`, `on conflict … do nothing`).
 * - `alerts_events` and libs/webhooks' `queueEventsSql`: an `alert.raised` delivery of each inserted alert for
 *   each endpoint that wants it (none when the group or participant is gone meanwhile).
 */
const RAISE_SQL = (() => {
  const crisisDetail = jsonTextSql({
    systolic_mmhg: 'm.systolic',
    diastolic_mmhg: 'm.diastolic',
    systolic_at_least: 'r.systolic_at_least',
    diastolic_at_least: 'r.diastolic_at_least',
  });
  const afibDetail = jsonTextSql({ possible_afib: 'true', systolic_mmhg: 'm.systolic', diastolic_mmhg: 'm.diastolic' });
  const body = jsonTextSql({
    type: `'alert.raised'::text`,
    timestamp: '$6::text',
    data: `${jsonTextSql({
      alert_id: 'a.id',
      rule: 'a.rule',
      group_id: 'x.group_public_id',
      ogsc_id: 'x.ogsc_id',
      raised_at: '$6::text',
      measured_at: 'p.measured_at',
      detail: 'p.detail::json',
      portal_url: `$7::text || x.ogsc_id || p.chart_tail`,
    })}::json`,
  });
  const candidate = `select * from alerts_candidates c`;
  return `alerts_rules as (${RULES_SQL}),
    alerts_candidates as (
      select * from jsonb_to_recordset($5::jsonb)
        as c(ord int, id bigint, measured_at text, systolic int, diastolic int, afib boolean, chart_tail text)),
    alerts_proposed as (
      select r.group_id, 'bp_crisis'::text as rule, m.id, m.measured_at, m.chart_tail, ${crisisDetail} as detail
        from alerts_rules r cross join lateral (
          ${candidate} where c.systolic >= r.systolic_at_least or c.diastolic >= r.diastolic_at_least order by c.ord limit 1) m
       where r.bp_crisis_enabled
      union all
      select r.group_id, 'possible_afib'::text, m.id, m.measured_at, m.chart_tail, ${afibDetail}
        from alerts_rules r cross join lateral (${candidate} where c.afib order by c.ord limit 1) m
       where r.afib_enabled),
    alerts_raised as (
      insert into alert (id, group_id, participant_id, rule, status, raised_at, reading_kind, reading_id, measured_at, detail)
      select gen_random_uuid(), p.group_id, $1::uuid, p.rule, 'open', $6::text::timestamptz, 'blood_pressure', p.id, p.measured_at::timestamptz, p.detail::jsonb
        from alerts_proposed p
      on conflict (group_id, participant_id, rule) where status = 'open' do nothing
      returning id, group_id, rule),
    alerts_events as (
      select a.group_id, ${body} as body
        from alerts_raised a join alerts_proposed p on p.group_id = a.group_id and p.rule = a.rule
        cross join lateral (select ${groupPublicIdSql('a.group_id')} as group_public_id, ${ogscIdSql('$1::uuid')} as ogsc_id) x
       where x.group_public_id is not null and x.ogsc_id is not null),
    ${queueEventsSql('alert.raised', 'alerts_events', 'alerts_webhook')}`;
})();

/** What a raise returns: the alerts inserted. */
const RAISED_SQL = `select id::text as id, rule from alerts_raised`;

/** An alert to raise unless one is open for its group, participant and rule. */
export interface AlertCandidate {
  groupId: string;
  participantId: string;
  rule: AlertRule;
  readingKind: string | null;
  readingId: string | null;
  measuredAt: Date | null;
  detail: Record<string, unknown>;
}

/** An alert as raised: what the webhook event and the e-mail say. */
export interface RaisedAlert extends AlertCandidate {
  id: string;
  raisedAt: Date;
}

/** A candidate with what its `alert.raised` event names (null: the group or participant is gone; no event). */
type NamedCandidate = AlertCandidate & { groupPublicId: string | null; ogscId: string | null; chartPath: string | null };

/**
 * Raises alerts: from the readings a sync page landed (`onLanded`, a `ReadingsLanded` listener, inside the page's
 * transaction) and for the scheduled checks (`raise`). Deduplicated by `alert_open_unique`: while an alert of a
 * group, participant and rule is open, raising it again does nothing. Each raised alert queues its
 * `alert.raised` webhook deliveries in the same transaction, in the statement that inserts it (libs/webhooks'
 * `queueEventsSql`); its e-mail goes out from the outbox (`mailed_at`).
 */
@Injectable()
export class AlertRaising {
  private readonly logger = new Logger(AlertRaising.name);

  constructor(
    private readonly labels: AlertLabels,
    private readonly config: DspConfig,
  ) {}

  /**
   * The readings-landed listener. A page of any kind ends the participant's silences: their open `no_reading`
   * alerts about a last reading older than the page's newest are resolved (`new_reading`), in the page's
   * transaction. Only blood pressure carries the reading rules. It returns its usual work as statements for
   * `ReadingsLanded.apply`, which sends them in the writer's round trip. The raise (`RAISE_SQL`) reads the rule
   * sets of the participant's consented groups that the page's highest values or flag may meet, matches each met
   * rule against the page's candidate readings (`crisisCandidates`: the only ones that can be the newest to meet
   * some lines) and inserts the alerts with their `alert.raised` webhook deliveries.
   *
   * - A blood pressure page of many readings (a backfill's) resolves and raises in the writer's round trip: one of
   *   its readings is often over a line, and the statements cost little beside the page.
   * - A page of a few (a notification's) is usually under every line and ends no silence, so it only asks, in one
   *   select, whether a rule not open already may be met and whether a silence ends; in the rare case either is
   *   so, that work follows in a statement of its own (an update costs more than a select even when it changes
   *   nothing: it opens the alert table's indexes). A page of another kind asks about silences alone.
   */
  async onLanded(em: EntityManager, page: LandedPage): Promise<LandedStatement[]> {
    const newest = newestMeasuredAt(page.readings.map((reading) => String(reading.row.measured_at)));
    const resolveSilences = async () => {
      await executeBound(em, RESOLVE_SQL, [page.participantId, newest]);
    };
    if (page.kind !== 'blood_pressure')
      return [
        {
          sql: SILENCE_PROBE_SQL,
          params: [page.participantId, newest],
          wantsRows: true,
          onRows: async ([row]) => {
            if (row?.silenced === true) await resolveSilences();
          },
        },
      ];
    const extremes = landedExtremes(page.readings.map((reading) => reading.row));
    const rulesParams = [page.participantId, extremes.systolic, extremes.diastolic, extremes.afib];
    // The candidates and their chart links only when the raise runs (a small page's probe usually stops before).
    const raiseParams = () => {
      const { timezone } = this.config.environment;
      const candidates = crisisCandidates(page.readings).map((candidate) => ({
        ...candidate,
        chart_tail: alertChartTail({ id: candidate.id, measuredAt: new Date(candidate.measured_at) }, timezone),
      }));
      return [...rulesParams, JSON.stringify(candidates), new Date().toISOString(), this.config.http.publicBaseUrl + PARTICIPANT_PAGE_PATH];
    };
    const raised = (rows: Record<string, unknown>[]) => {
      if (rows.length > 0) this.logger.log({ alerts: rows }, 'alerts raised');
    };
    if (page.readings.length >= INLINE_RAISE_READINGS)
      return [
        { sql: RESOLVE_SQL, params: [page.participantId, newest] },
        { with: RAISE_SQL, sql: RAISED_SQL, params: raiseParams(), wantsRows: true, onRows: async (rows) => raised(rows) },
      ];
    const probe: LandedStatement = {
      sql: PROBE_SQL,
      params: [...rulesParams, newest],
      wantsRows: true,
      onRows: async ([row]) => {
        if (row?.silenced === true) await resolveSilences();
        if (row?.may_raise === true) raised(await executePrepared(em, `with ${RAISE_SQL} ${RAISED_SQL}`, raiseParams()));
      },
    };
    return [probe];
  }

  /**
   * Inserts the candidates that have no open alert of their group, participant and rule, and queues an
   * `alert.raised` event for each one raised; all in `em`'s transaction. Returns the raised ones. (The scheduled
   * checks' path: what the events name is looked up first, by AlertLabels; a page's comes with its rule rows.)
   */
  async raise(em: EntityManager, candidates: readonly AlertCandidate[], now = new Date()): Promise<RaisedAlert[]> {
    if (candidates.length === 0) return [];
    const labelled = await this.labels.of(em, candidates);
    return this.insert(
      em,
      labelled.map(({ group, ...candidate }) => ({ ...candidate, groupPublicId: group?.groupId ?? null })),
      now,
    );
  }

  /**
   * One statement: the alerts inserted (`on conflict … do nothing`: an open one of the same group, participant and
   * rule stays the only one) and, for those inserted, their `alert.raised` deliveries (libs/webhooks'
   * `queueEventsSql`). The alert IDs are made here, so each event's message is complete before the statement; an
   * event whose alert was not inserted is dropped in it. An alert whose group or participant has no label (gone
   * meanwhile) is raised without an event, as before.
   */
  private async insert(em: EntityManager, candidates: readonly NamedCandidate[], now: Date): Promise<RaisedAlert[]> {
    if (candidates.length === 0) return [];
    const planned = candidates.map(({ groupPublicId, ogscId, chartPath, ...candidate }) => {
      const alert: RaisedAlert = { ...candidate, id: randomUUID(), raisedAt: now };
      return { alert, groupPublicId, ogscId, chartPath };
    });
    const timestamp = new Date().toISOString();
    const events = planned.flatMap(({ alert, groupPublicId, ogscId, chartPath }) => {
      if (!groupPublicId || !ogscId || !chartPath) return [];
      const data = {
        alert_id: alert.id,
        rule: alert.rule,
        group_id: groupPublicId,
        ogsc_id: ogscId,
        raised_at: alert.raisedAt.toISOString(),
        measured_at: alert.measuredAt?.toISOString() ?? null,
        detail: alert.detail,
        portal_url: this.config.http.publicBaseUrl + chartPath,
      };
      return [{ alert_id: alert.id, group_id: alert.groupId, body: JSON.stringify({ type: 'alert.raised', timestamp, data }) }];
    });
    const rows = await executePrepared<{ id: string }>(
      em,
      `with raised as (
         insert into alert (id, group_id, participant_id, rule, status, raised_at, reading_kind, reading_id, measured_at, detail)
         select c.id, c.group_id, c.participant_id, c.rule, 'open', $1::timestamptz, c.reading_kind, c.reading_id, c.measured_at, c.detail
           from jsonb_to_recordset($2::jsonb) as c(id uuid, group_id uuid, participant_id uuid, rule text, reading_kind text, reading_id bigint, measured_at timestamptz, detail jsonb)
         on conflict (group_id, participant_id, rule) where status = 'open' do nothing
         returning id),
       events as (
         select e.group_id, e.body from jsonb_to_recordset($3::jsonb) as e(alert_id uuid, group_id uuid, body text) join raised r on r.id = e.alert_id),
       ${queueEventsSql('alert.raised', 'events')}
       select id::text from raised`,
      [
        now.toISOString(),
        JSON.stringify(
          planned.map(({ alert }) => ({
            id: alert.id,
            group_id: alert.groupId,
            participant_id: alert.participantId,
            rule: alert.rule,
            reading_kind: alert.readingKind,
            reading_id: alert.readingId,
            measured_at: alert.measuredAt?.toISOString() ?? null,
            detail: alert.detail,
          })),
        ),
        JSON.stringify(events),
      ],
    );
    if (rows.length === 0) return [];
    const inserted = new Set(rows.map((row) => row.id));
    const raised = planned.map(({ alert }) => alert).filter((alert) => inserted.has(alert.id));
    this.logger.log({ alerts: raised.map((alert) => ({ id: alert.id, rule: alert.rule })) }, 'alerts raised');
    return raised;
  }

  /**
   * Resolves the open `reconnect_needed` alerts of a participant whose connection is usable again, in `em`'s
   * transaction (the connection follower's). Returns how many.
   */
  async resolveReconnected(em: EntityManager, participantId: string, at: Date): Promise<number> {
    const rows = await em.execute<{ id: string }[]>(
      `update alert set status = 'resolved', resolved_at = ?::timestamptz, resolution = 'reconnected'
        where participant_id = ?::uuid and rule = 'reconnect_needed' and status = 'open' returning id`,
      [at.toISOString(), participantId],
    );
    return rows.length;
  }
}
