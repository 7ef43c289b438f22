import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { groupPublicIdSql } from '@opendsp/groups';
import { executeBound, type LandedPage, type LandedStatement } from '@opendsp/measurements';
import { consentedInGroupsSql, ogscIdSql } from '@opendsp/participants';
import { queueEventsSql } from '@opendsp/webhooks';
import { AlertLabels } from './alert-labels.service.js';
import type { AlertRule } from './alert-rules.catalogue.js';
import {
  alertChartPath,
  bloodPressureFacts,
  type BloodPressureFacts,
  meetsCrisis,
  newestMeeting,
  landedExtremes,
  type BloodPressureRules,
} from './alert-rules.rules.js';

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

type RuleRow = {
  group_id: string;
  bp_crisis_enabled: boolean;
  systolic_at_least: number;
  diastolic_at_least: number;
  afib_enabled: boolean;
  /** The rules with an open alert for the page's participant in this group: not raised again. */
  open_rules: AlertRule[];
  /** The group's public ID and the participant's OGSC ID, for the `alert.raised` events of what the page raises. */
  group_public_id: string | null;
  ogsc_id: string | null;
};

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
   * transaction. Only blood pressure carries the reading rules; a page of another kind costs that one update.
   * It runs nothing itself: it returns its statements for `ReadingsLanded.apply`, which sends them in the writer's
   * round trip, so a page costs no round trip of its own unless it raises something. With the update, the rule
   * sets of the participant's consented groups are read with the page's highest values and whether any reading is
   * flagged as the condition, together with the rules already open for the participant in each group and what
   * the webhook events of a raised alert name (the group's public ID, the participant's OGSC ID), so a page under
   * every line, or one whose alerts are all open already, stops there. Only then are the alerts inserted and
   * their deliveries queued, in one more statement (one round trip for a page that raises anything).
   */
  async onLanded(em: EntityManager, page: LandedPage): Promise<LandedStatement[]> {
    const newest = newestMeasuredAt(page.readings.map((reading) => String(reading.row.measured_at)));
    // A backfilled older reading does not end a silence that began after it.
    const resolveSilences: LandedStatement = {
      sql: `update alert set status = 'resolved', resolved_at = now(), resolution = 'new_reading'
       where participant_id = $1::uuid and rule = 'no_reading' and status = 'open' and measured_at < $2::timestamptz
       returning 1`,
      params: [page.participantId, newest],
    };
    if (page.kind !== 'blood_pressure') return [resolveSilences];
    const extremes = landedExtremes(page.readings.map((reading) => reading.row));
    // The rule sets of the participant's consented groups only (libs/participants' condition, as the API's
    // reading pages use it), each with the rules already open for the participant there, read in the same
    // statement as the update (a part of the page's composed statement, so it sees the alerts as they were before
    // it: the update resolves only `no_reading` alerts, which no rule here looks at).
    const rules: LandedStatement = {
      sql: `select r.group_id, r.bp_crisis_enabled, r.systolic_at_least, r.diastolic_at_least, r.afib_enabled,
              array(select a.rule from alert a where a.group_id = r.group_id and a.participant_id = $1::uuid and a.status = 'open') as open_rules,
              ${groupPublicIdSql('r.group_id')} as group_public_id, ${ogscIdSql('$1::uuid')} as ogsc_id
         from alert_rule_set r
        where ((r.bp_crisis_enabled and (r.systolic_at_least <= $2::int or r.diastolic_at_least <= $3::int)) or (r.afib_enabled and $4::boolean))
          and ${consentedInGroupsSql('$1::uuid', 'e.group_id = r.group_id')}`,
      params: [page.participantId, extremes.systolic, extremes.diastolic, extremes.afib],
      wantsRows: true,
      onRows: (rows) => this.raiseFromRules(em, page, rows as RuleRow[]),
    };
    return [resolveSilences, rules];
  }

  /** A blood pressure page's alerts, from its rule sets as `onLanded`'s select read them (none, usually). */
  private async raiseFromRules(em: EntityManager, page: LandedPage, rules: readonly RuleRow[]): Promise<void> {
    // The readings' facts only for a page that may raise something (a rule met and not open already).
    let facts: BloodPressureFacts[] | undefined;
    const readings = () => (facts ??= page.readings.map((reading) => bloodPressureFacts(reading.id, reading.row)));
    const candidates: NamedCandidate[] = [];
    // What the events name came with the rule rows: no lookup (AlertLabels' two statements) on this path.
    const named = (candidate: AlertCandidate, row: RuleRow): NamedCandidate => ({
      ...candidate,
      groupPublicId: row.group_public_id,
      ogscId: row.ogsc_id,
      chartPath: row.ogsc_id ? alertChartPath(row.ogsc_id, this.readingOf(candidate), this.config.environment.timezone) : null,
    });
    for (const row of rules) {
      const open = new Set(row.open_rules);
      const lines: BloodPressureRules = {
        bpCrisisEnabled: row.bp_crisis_enabled && !open.has('bp_crisis'),
        systolicAtLeast: row.systolic_at_least,
        diastolicAtLeast: row.diastolic_at_least,
        afibEnabled: row.afib_enabled && !open.has('possible_afib'),
      };
      const crisis = lines.bpCrisisEnabled ? newestMeeting(readings(), (reading) => meetsCrisis(reading, lines)) : undefined;
      if (crisis)
        candidates.push(
          named(
            {
              groupId: row.group_id,
              participantId: page.participantId,
              rule: 'bp_crisis',
              readingKind: 'blood_pressure',
              readingId: crisis.id,
              measuredAt: new Date(crisis.measuredAt),
              detail: {
                systolic_mmhg: crisis.systolic,
                diastolic_mmhg: crisis.diastolic,
                systolic_at_least: lines.systolicAtLeast,
                diastolic_at_least: lines.diastolicAtLeast,
              },
            },
            row,
          ),
        );
      const afib = lines.afibEnabled ? newestMeeting(readings(), (reading) => reading.possibleAfib) : undefined;
      if (afib)
        candidates.push(
          named(
            {
              groupId: row.group_id,
              participantId: page.participantId,
              rule: 'possible_afib',
              readingKind: 'blood_pressure',
              readingId: afib.id,
              measuredAt: new Date(afib.measuredAt),
              detail: { possible_afib: true, systolic_mmhg: afib.systolic, diastolic_mmhg: afib.diastolic },
            },
            row,
          ),
        );
    }
    await this.insert(em, candidates, new Date());
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
    const rows = await executeBound<{ id: string }>(
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

  private readingOf(alert: AlertCandidate) {
    return { kind: alert.readingKind, id: alert.readingId, measuredAt: alert.measuredAt };
  }
}
