import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { GroupLookups } from '@opendsp/groups';
import { isLanguage } from '@opendsp/i18n';
import { Mailer } from '@opendsp/mail';
import { ReadingsRepository } from '@opendsp/measurements';
import { ConsentedParticipants } from '@opendsp/participants';
import { OmronConnections } from '@opendsp/tokens';
import { AlertLabels } from './alert-labels.service.js';
import { AlertRaising, type AlertCandidate } from './alert-raising.service.js';
import { NO_READING_LOOKBACK_DAYS, USED_TO_MEASURE_WINDOW_DAYS, type AlertRule } from './alert-rules.catalogue.js';
import { alertMail } from './alert-mail.rules.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Silent participants one group's check looks at per pass. */
const SILENT_BATCH = 1000;
/** Connection changes one pass follows at most. */
const CONNECTION_BATCH = 500;
/** Alerts one mail pass sends at most. */
const MAIL_BATCH = 50;
const RECONNECT_CURSOR = 'reconnect';

/**
 * The alerts that cannot come from landed readings, and the e-mail of every alert:
 * - `checkSilences(now)`: "no reading for N days from a participant who used to measure", through the
 *   enrollments' last-reading times (libs/participants) and, for the few silent ones, a count of their readings
 *   in the 30 days before their last (libs/measurements' index range counts);
 * - `followConnections()`: libs/tokens' connection changes into `reconnect_needed`, after a cursor;
 * - `mailPending()`: each raised alert once to its group's admins, through the Mailer, in each admin's language.
 * Worker processes run them on a schedule (`AlertsScheduler`); each is safe to run in several at once.
 */
@Injectable()
export class AlertChecks {
  private readonly logger = new Logger(AlertChecks.name);
  private readonly groups = new GroupLookups();

  constructor(
    private readonly em: EntityManager,
    private readonly raising: AlertRaising,
    private readonly participants: ConsentedParticipants,
    private readonly readings: ReadingsRepository,
    private readonly connections: OmronConnections,
    private readonly mailer: Mailer,
    private readonly labels: AlertLabels,
    private readonly config: DspConfig,
  ) {}

  /**
   * Raises `no_reading` for the consented participants of every group with the rule on whose last reading is
   * older than the group's N days (and not older than N + 30: a silence is alerted while it is young), who had
   * at least K readings in the 30 days before it, and for whom this silence (this last reading) was not alerted
   * yet. A reading after it starts a new silence, which can be alerted again. Returns how many were raised.
   */
  async checkSilences(now = new Date()): Promise<number> {
    const groups = await this.em
      .fork()
      .getConnection()
      .execute<{ group_id: string; no_reading_days: number; no_reading_min_readings: number }[]>(
        `select group_id, no_reading_days, no_reading_min_readings from alert_rule_set where no_reading_enabled`,
      );
    let raised = 0;
    for (const group of groups) {
      raised += await this.em.fork().transactional(async (em) => {
        const to = new Date(now.getTime() - group.no_reading_days * DAY_MS);
        const from = new Date(to.getTime() - NO_READING_LOOKBACK_DAYS * DAY_MS);
        const silent = await this.participants.lastReadingBetween(em, group.group_id, from, to, SILENT_BATCH);
        if (silent.length === 0) return 0;
        const alerted = await em.execute<{ participant_id: string }[]>(
          `select distinct a.participant_id from alert a
             join unnest(?::uuid[], ?::timestamptz[]) as s(participant_id, last_reading_at) on s.participant_id = a.participant_id
            where a.group_id = ? and a.rule = 'no_reading' and (a.status = 'open' or a.measured_at = s.last_reading_at)`,
          [
            `{${silent.map((row) => row.participantId).join(',')}}`,
            `{${silent.map((row) => row.lastReadingAt.toISOString()).join(',')}}`,
            group.group_id,
          ],
        );
        const skip = new Set(alerted.map((row) => row.participant_id));
        const fresh = silent.filter((row) => !skip.has(row.participantId));
        const counts = await this.readings.countsMeasuredBetween(
          em,
          fresh.map((row) => ({
            participantId: row.participantId,
            from: new Date(row.lastReadingAt.getTime() - USED_TO_MEASURE_WINDOW_DAYS * DAY_MS),
            to: row.lastReadingAt,
          })),
        );
        const candidates: AlertCandidate[] = fresh
          .filter((row) => (counts.get(row.participantId) ?? 0) >= group.no_reading_min_readings)
          .map((row) => ({
            groupId: group.group_id,
            participantId: row.participantId,
            rule: 'no_reading',
            readingKind: null,
            readingId: null,
            measuredAt: row.lastReadingAt,
            detail: {
              last_reading_at: row.lastReadingAt.toISOString(),
              silent_days: Math.floor((now.getTime() - row.lastReadingAt.getTime()) / DAY_MS),
              no_reading_days: group.no_reading_days,
              readings_before: counts.get(row.participantId) ?? 0,
              min_readings: group.no_reading_min_readings,
            },
          }));
        return (await this.raising.raise(em, candidates, now)).length;
      });
    }
    return raised;
  }

  /**
   * Follows libs/tokens' connection changes after the cursor, oldest first: a change into `reconnect_needed`
   * raises that alert in every group with the rule on that the participant consented to; a change into `active`
   * (the participant authorised the platform again) resolves their open `reconnect_needed` alerts. Both happen in
   * the transaction that moves the cursor, so each change is acted on once. The first pass starts the cursor at the
   * newest change (older changes are not alerted). Returns how many alerts were raised.
   */
  async followConnections(): Promise<number> {
    return this.em.fork().transactional(async (em) => {
      const [cursor] = await em.execute<{ through_id: string }[]>(
        `select through_id::text from alert_cursor where name = ? for update skip locked`,
        [RECONNECT_CURSOR],
      );
      if (!cursor) {
        await em.execute(`insert into alert_cursor (name, through_id) values (?, ?) on conflict (name) do nothing`, [
          RECONNECT_CURSOR,
          await this.connections.lastTransitionId(em),
        ]);
        return 0;
      }
      const changes = await this.connections.transitionsTo(em, ['reconnect_needed', 'active'], cursor.through_id, CONNECTION_BATCH);
      if (changes.length === 0) return 0;
      const ruleGroups = (await em.execute<{ group_id: string }[]>(`select group_id from alert_rule_set where reconnect_enabled`)).map(
        (row) => row.group_id,
      );
      let raised = 0;
      let pending: AlertCandidate[] = [];
      // Raises what is pending before a reconnection is acted on, so a need and its end in one batch keep their order.
      const raisePending = async () => {
        // One change per participant and group is enough: several in a batch would only conflict with each other.
        const unique = [...new Map(pending.map((candidate) => [`${candidate.groupId}/${candidate.participantId}`, candidate])).values()];
        raised += (await this.raising.raise(em, unique)).length;
        pending = [];
      };
      for (const change of changes) {
        if (change.toState === 'reconnect_needed' && ruleGroups.length === 0) continue;
        const participant = await this.participants.withOmronUser(em, change.omronUserId);
        if (!participant) continue;
        if (change.toState === 'active') {
          await raisePending();
          await this.raising.resolveReconnected(em, participant.id, new Date(change.occurredAt));
          continue;
        }
        for (const groupId of await this.participants.consentedGroupsOf(em, participant.id, ruleGroups))
          pending.push({
            groupId,
            participantId: participant.id,
            rule: 'reconnect_needed',
            readingKind: null,
            readingId: null,
            measuredAt: null,
            detail: { reason: change.reason, occurred_at: new Date(change.occurredAt).toISOString() },
          });
      }
      await raisePending();
      await em.execute(`update alert_cursor set through_id = ? where name = ?`, [changes.at(-1)!.id, RECONNECT_CURSOR]);
      return raised;
    });
  }

  /**
   * E-mails each alert not mailed yet to its group's admins (one message per admin), marking it mailed in the
   * same transaction; a failed send rolls the batch back for the next pass. Alerts of a group without admins
   * are marked mailed with nobody to tell (the inbox and webhooks still have them). Returns how many alerts.
   */
  async mailPending(): Promise<number> {
    return this.em.fork().transactional(async (em) => {
      // Named as AlertLabels reads them.
      const alerts = await em.execute<
        {
          id: string;
          groupId: string;
          participantId: string;
          rule: AlertRule;
          readingKind: string | null;
          readingId: string | null;
          measuredAt: Date | string | null;
          detail: Record<string, unknown>;
        }[]
      >(
        `select id, group_id as "groupId", participant_id as "participantId", rule, reading_kind as "readingKind",
                reading_id::text as "readingId", measured_at as "measuredAt", detail
           from alert where mailed_at is null order by raised_at limit ? for update skip locked`,
        [MAIL_BATCH],
      );
      if (alerts.length === 0) return 0;
      const labelled = await this.labels.of(
        em,
        alerts.map((alert) => ({ ...alert, measuredAt: alert.measuredAt === null ? null : new Date(alert.measuredAt) })),
      );
      const admins = new Map<string, { email: string; language: string | null }[]>();
      for (const alert of labelled) {
        if (!admins.has(alert.groupId)) admins.set(alert.groupId, await this.groups.adminRecipientsOf(em, alert.groupId));
        const { group, ogscId, chartPath, measuredAt } = alert;
        if (!group || !ogscId || !chartPath) continue;
        const chartUrl = this.config.http.publicBaseUrl + chartPath;
        for (const admin of admins.get(alert.groupId)!) {
          const language = isLanguage(admin.language) ? admin.language : this.config.environment.language;
          await this.mailer.send({
            to: admin.email,
            ...alertMail(language, this.config.environment.timezone, {
              rule: alert.rule,
              group,
              ogscId,
              measuredAt,
              detail: alert.detail,
              chartUrl,
              inboxUrl: `${this.config.http.publicBaseUrl}/alerts/${alert.id}`,
            }),
          });
        }
      }
      await em.execute(`update alert set mailed_at = now() where id = any(?::uuid[])`, [`{${alerts.map((alert) => alert.id).join(',')}}`]);
      this.logger.log({ alerts: alerts.length }, 'alert e-mail sent');
      return alerts.length;
    });
  }
}
