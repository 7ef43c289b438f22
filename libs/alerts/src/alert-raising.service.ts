import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { GroupLookups } from '@opendsp/groups';
import type { LandedPage, LandedStatement } from '@opendsp/measurements';
import { ConsentedParticipants, consentedInGroupsSql } from '@opendsp/participants';
import { WebhookDispatcher } from '@opendsp/webhooks';
import type { AlertRule } from './alert-rules.catalogue.js';
import {
  alertChartPath,
  bloodPressureFacts,
  type BloodPressureFacts,
  meetsCrisis,
  newestMeeting,
  pageExtremes,
  type BloodPressureRules,
} from './alert-rules.rules.js';

/** The newest of the readings' measurement times, as ISO 8601. */
function newestMeasuredAt(times: readonly string[]): string {
  return new Date(Math.max(...times.map((time) => Date.parse(time)))).toISOString();
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
};

/**
 * Raises alerts: from the readings a sync page landed (`onLanded`, a `ReadingsLanded` listener, inside the page's
 * transaction) and for the scheduled checks (`raise`). Deduplicated by `alert_open_unique`: while an alert of a
 * group, participant and rule is open, raising it again does nothing. Each raised alert queues its
 * `alert.raised` webhook deliveries in the same transaction; its e-mail goes out from the outbox (`mailed_at`).
 */
@Injectable()
export class AlertRaising {
  private readonly logger = new Logger(AlertRaising.name);
  private readonly groups = new GroupLookups();

  constructor(
    private readonly participants: ConsentedParticipants,
    private readonly webhooks: WebhookDispatcher,
    private readonly config: DspConfig,
  ) {}

  /**
   * The readings-landed listener. A page of any kind ends the participant's silences: their open `no_reading`
   * alerts about a last reading older than the page's newest are resolved (`new_reading`), in the page's
   * transaction. Only blood pressure carries the reading rules; a page of another kind costs that one update.
   * It runs nothing itself: it returns its statements for `ReadingsLanded.apply`, which sends them in the writer's
   * round trip, so a page costs no round trip of its own unless it raises something. With the update, the rule
   * sets of the participant's consented groups are read with the page's highest values and whether any reading is
   * flagged as the condition, together with the rules already open for the participant in each group,
   * so a page under every line, or one whose alerts are all open already, stops there. Only then are the alerts
   * inserted.
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
    const readings = page.readings.map((reading) => bloodPressureFacts(reading.id, reading.row));
    const extremes = pageExtremes(readings);
    // The rule sets of the participant's consented groups only (libs/participants' condition, as the API's
    // reading pages use it), each with the rules already open for the participant there, read in the same
    // statement as the update (a part of the page's composed statement, so it sees the alerts as they were before
    // it: the update resolves only `no_reading` alerts, which no rule here looks at).
    const rules: LandedStatement = {
      sql: `select r.group_id, r.bp_crisis_enabled, r.systolic_at_least, r.diastolic_at_least, r.afib_enabled,
              array(select a.rule from alert a where a.group_id = r.group_id and a.participant_id = $1::uuid and a.status = 'open') as open_rules
         from alert_rule_set r
        where ((r.bp_crisis_enabled and (r.systolic_at_least <= $2::int or r.diastolic_at_least <= $3::int)) or (r.afib_enabled and $4::boolean))
          and ${consentedInGroupsSql('$1::uuid', 'e.group_id = r.group_id')}`,
      params: [page.participantId, extremes.systolic, extremes.diastolic, extremes.afib],
      wantsRows: true,
      onRows: (rows) => this.raiseFromRules(em, page, readings, rows as RuleRow[]),
    };
    return [resolveSilences, rules];
  }

  /** A blood pressure page's alerts, from its rule sets as `onLanded`'s select read them (none, usually). */
  private async raiseFromRules(
    em: EntityManager,
    page: LandedPage,
    readings: BloodPressureFacts[],
    rules: readonly RuleRow[],
  ): Promise<void> {
    const candidates: AlertCandidate[] = [];
    for (const row of rules) {
      const open = new Set(row.open_rules);
      const lines: BloodPressureRules = {
        bpCrisisEnabled: row.bp_crisis_enabled && !open.has('bp_crisis'),
        systolicAtLeast: row.systolic_at_least,
        diastolicAtLeast: row.diastolic_at_least,
        afibEnabled: row.afib_enabled && !open.has('possible_afib'),
      };
      const crisis = lines.bpCrisisEnabled ? newestMeeting(readings, (reading) => meetsCrisis(reading, lines)) : undefined;
      if (crisis)
        candidates.push({
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
        });
      const afib = lines.afibEnabled ? newestMeeting(readings, (reading) => reading.possibleAfib) : undefined;
      if (afib)
        candidates.push({
          groupId: row.group_id,
          participantId: page.participantId,
          rule: 'possible_afib',
          readingKind: 'blood_pressure',
          readingId: afib.id,
          measuredAt: new Date(afib.measuredAt),
          detail: { possible_afib: true, systolic_mmhg: afib.systolic, diastolic_mmhg: afib.diastolic },
        });
    }
    await this.raise(em, candidates);
  }

  /**
   * Inserts the candidates that have no open alert of their group, participant and rule (one statement), and
   * queues an `alert.raised` event for each one raised; all in `em`'s transaction. Returns the raised ones.
   */
  async raise(em: EntityManager, candidates: readonly AlertCandidate[], now = new Date()): Promise<RaisedAlert[]> {
    if (candidates.length === 0) return [];
    const rows = await em.execute<{ id: string; group_id: string; participant_id: string; rule: AlertRule }[]>(
      `insert into alert (id, group_id, participant_id, rule, status, raised_at, reading_kind, reading_id, measured_at, detail)
       select gen_random_uuid(), c.group_id, c.participant_id, c.rule, 'open', ?::timestamptz, c.reading_kind, c.reading_id, c.measured_at, c.detail
         from jsonb_to_recordset(?::jsonb) as c(group_id uuid, participant_id uuid, rule text, reading_kind text, reading_id bigint, measured_at timestamptz, detail jsonb)
       on conflict (group_id, participant_id, rule) where status = 'open' do nothing
       returning id, group_id, participant_id, rule`,
      [
        now.toISOString(),
        JSON.stringify(
          candidates.map((candidate) => ({
            group_id: candidate.groupId,
            participant_id: candidate.participantId,
            rule: candidate.rule,
            reading_kind: candidate.readingKind,
            reading_id: candidate.readingId,
            measured_at: candidate.measuredAt?.toISOString() ?? null,
            detail: candidate.detail,
          })),
        ),
      ],
    );
    if (rows.length === 0) return [];
    const byKey = new Map(candidates.map((candidate) => [`${candidate.groupId}/${candidate.participantId}/${candidate.rule}`, candidate]));
    const raised = rows.map((row) => ({
      ...byKey.get(`${row.group_id}/${row.participant_id}/${row.rule}`)!,
      id: row.id,
      raisedAt: now,
    }));
    await this.announce(em, raised);
    return raised;
  }

  /** The `alert.raised` webhook events of the raised alerts, in `em`'s transaction. */
  private async announce(em: EntityManager, raised: readonly RaisedAlert[]): Promise<void> {
    // One after the other: both run on the transaction's one connection.
    const labels = await this.groups.labelsOf(
      em,
      raised.map((alert) => alert.groupId),
    );
    const ogscIds = await this.participants.ogscIds(
      em,
      raised.map((alert) => alert.participantId),
    );
    for (const alert of raised) {
      const group = labels.get(alert.groupId);
      const ogscId = ogscIds.get(alert.participantId);
      if (!group || !ogscId) continue;
      await this.webhooks.emitWithin(em, 'alert.raised', group.groupId, {
        alert_id: alert.id,
        rule: alert.rule,
        group_id: group.groupId,
        ogsc_id: ogscId,
        raised_at: alert.raisedAt.toISOString(),
        measured_at: alert.measuredAt?.toISOString() ?? null,
        detail: alert.detail,
        portal_url: this.config.http.publicBaseUrl + alertChartPath(ogscId, this.readingOf(alert), this.config.environment.timezone),
      });
    }
    this.logger.log({ alerts: raised.map((alert) => ({ id: alert.id, rule: alert.rule })) }, 'alerts raised');
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
