import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { PortalUser } from '@opendsp/admin-auth';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import { DspConfig } from '@opendsp/config';
import { GroupLookups, GroupsService, type ProgramGroup } from '@opendsp/groups';
import { ConsentedParticipants } from '@opendsp/participants';
import { encodeCursor, parseCreatedAtCursor, UUID } from '@opendsp/pagination';
import { AlertRuleSet } from './alert-rule-set.entity.js';
import type { AlertRule, AlertStatus } from './alert-rules.catalogue.js';
import { alertChartPath } from './alert-rules.rules.js';
import { Alert } from './alert.entity.js';
import type { AlertRulesForm } from './dto/alert-forms.dto.js';

/** Alerts per inbox page. */
export const INBOX_PAGE_SIZE = 50;

export interface InboxFilters {
  status: 'open' | 'acknowledged' | 'all';
  group?: string;
  rule?: AlertRule;
  after?: string;
}

/** An alert as the portal shows it. */
export interface AlertView {
  id: string;
  rule: AlertRule;
  status: AlertStatus;
  raisedAt: Date;
  measuredAt: Date | null;
  detail: Record<string, unknown>;
  group: { groupId: string; displayName: string } | null;
  ogscId: string | null;
  chartUrl: string | null;
  acknowledgedAt: Date | null;
  acknowledgedLogin: string | null;
  note: string | null;
}

type AlertRow = {
  id: string;
  group_id: string;
  participant_id: string;
  rule: AlertRule;
  status: AlertStatus;
  raised_at: Date;
  reading_kind: string | null;
  reading_id: string | null;
  measured_at: Date | null;
  detail: Record<string, unknown>;
  acknowledged_at: Date | null;
  acknowledged_login: string | null;
  note: string | null;
};

const COLUMNS = `id, group_id, participant_id, rule, status, raised_at, reading_kind, reading_id::text, measured_at, detail,
  acknowledged_at, acknowledged_login, note`;

/**
 * The portal's side of alerts: the inbox of the admin's groups (a group admin sees their groups', everyone else
 * every group's), one alert, acknowledging it with a note, a group's rules and their panel on the group page.
 * An alert or a group the admin may not see answers 404, as if it did not exist; each change writes its audit
 * row in its transaction.
 */
@Injectable()
export class AlertInbox {
  private readonly groupLookups = new GroupLookups();

  constructor(
    private readonly em: EntityManager,
    private readonly groups: GroupsService,
    private readonly participants: ConsentedParticipants,
    private readonly audit: AuditLog,
    private readonly config: DspConfig,
  ) {}

  /**
   * One page of alerts, newest first, with the cursor of the next page (keyset on raised_at, id), and how many
   * alerts are open in the page's groups.
   */
  async page(
    user: PortalUser,
    filters: InboxFilters,
  ): Promise<{ alerts: AlertView[]; next: string | null; group: ProgramGroup | null; open: number }> {
    const em = this.em.fork();
    const group = filters.group ? await this.groups.visibleGroup(em, user, filters.group) : null;
    const scope = group ? [group.id] : await this.scopeOf(em, user);
    if (scope && scope.length === 0) return { alerts: [], next: null, group, open: 0 };
    const where: string[] = [];
    const params: unknown[] = [];
    if (scope) {
      where.push('group_id = any(?::uuid[])');
      params.push(`{${scope.join(',')}}`);
    }
    if (filters.status !== 'all') {
      where.push('status = ?');
      params.push(filters.status);
    }
    if (filters.rule) {
      where.push('rule = ?');
      params.push(filters.rule);
    }
    const cursor = parseCreatedAtCursor(filters.after);
    if (cursor) {
      where.push('(raised_at, id) < (?::timestamptz, ?::uuid)');
      params.push(cursor.createdAt.toISOString(), cursor.id);
    }
    const rows = await em.execute<AlertRow[]>(
      `select ${COLUMNS} from alert ${where.length ? `where ${where.join(' and ')}` : ''} order by raised_at desc, id desc limit ?`,
      [...params, INBOX_PAGE_SIZE + 1],
    );
    const shown = rows.slice(0, INBOX_PAGE_SIZE);
    const last = shown.at(-1);
    return {
      alerts: await this.views(em, shown),
      next: rows.length > INBOX_PAGE_SIZE && last ? encodeCursor([new Date(last.raised_at).toISOString(), last.id]) : null,
      group,
      open: await this.openCount(em, scope),
    };
  }

  /** Open alerts in the groups (null: all), through `alert_open_unique`. */
  private async openCount(em: EntityManager, scope: string[] | null): Promise<number> {
    const [row] = await em.execute<{ count: string }[]>(
      `select count(*)::text as count from alert where status = 'open'${scope ? ' and group_id = any(?::uuid[])' : ''}`,
      scope ? [`{${scope.join(',')}}`] : [],
    );
    return Number(row.count);
  }

  /** One alert the admin may see; 404 otherwise. */
  async get(user: PortalUser, alertId: string): Promise<AlertView> {
    const em = this.em.fork();
    const row = await this.visibleRow(em, user, alertId, false);
    return (await this.views(em, [row]))[0];
  }

  /**
   * Acknowledges an open alert with a note, audited in the same transaction. 404 for an alert the admin may not
   * see; 409 for one already acknowledged (its note stays).
   */
  async acknowledge(user: PortalUser, alertId: string, note: string, actor: AuditActor): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      const row = await this.visibleRow(em, user, alertId, true);
      if (row.status !== 'open') throw new ConflictException('This alert was already acknowledged.');
      await em.nativeUpdate(
        Alert,
        { id: row.id },
        { status: 'acknowledged', acknowledgedAt: new Date(), acknowledgedBy: user.id, acknowledgedLogin: user.loginId, note },
      );
      const group = (await this.groupLookups.labelsOf(em, [row.group_id])).get(row.group_id);
      this.audit.record(em, {
        action: 'alert.acknowledged',
        actor,
        target: { type: 'alert', id: row.id },
        detail: { rule: row.rule, group_id: group?.groupId ?? null, note_length: note.length },
      });
    });
  }

  /** A group's rules (the defaults when nobody set them yet). */
  async rulesOf(user: PortalUser, groupId: string): Promise<{ group: ProgramGroup; rules: AlertRuleSet }> {
    const em = this.em.fork();
    const group = await this.groups.visibleGroup(em, user, groupId);
    return { group, rules: (await em.findOne(AlertRuleSet, { groupId: group.id })) ?? new AlertRuleSet(group.id) };
  }

  /** Saves a group's rules, audited with what changed. */
  async updateRules(user: PortalUser, groupId: string, form: AlertRulesForm, actor: AuditActor): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      const group = await this.groups.visibleGroup(em, user, groupId);
      // Two saves of a new group's rules take turns instead of racing to insert the row.
      await this.groupLookups.lock(em, group.id);
      const existing = await em.findOne(AlertRuleSet, { groupId: group.id });
      const rules = existing ?? em.create(AlertRuleSet, { groupId: group.id });
      const before = { ...rulesOf(rules) };
      rules.bpCrisisEnabled = form.bpCrisisEnabled;
      rules.systolicAtLeast = form.systolicAtLeast;
      rules.diastolicAtLeast = form.diastolicAtLeast;
      rules.afibEnabled = form.afibEnabled;
      rules.noReadingEnabled = form.noReadingEnabled;
      rules.noReadingDays = form.noReadingDays;
      rules.noReadingMinReadings = form.noReadingMinReadings;
      rules.reconnectEnabled = form.reconnectEnabled;
      rules.updatedAt = new Date();
      const after = rulesOf(rules);
      const changed = Object.fromEntries(
        Object.entries(after).filter(([name, value]) => !existing || before[name as keyof typeof before] !== value),
      );
      this.audit.record(em, { action: 'alert_rules.updated', actor, target: { type: 'group', id: group.groupId }, detail: changed });
    });
  }

  /** The group page's panel: which rules are on and how many alerts are open. */
  async panel(group: ProgramGroup): Promise<object> {
    const em = this.em.fork();
    const rules = (await em.findOne(AlertRuleSet, { groupId: group.id })) ?? new AlertRuleSet(group.id);
    const open = await em.count(Alert, { groupId: group.id, status: 'open' });
    return { rules: rulesOf(rules), open, groupId: group.groupId };
  }

  /** The internal IDs of the groups the admin sees; null: every group. */
  private async scopeOf(em: EntityManager, user: PortalUser): Promise<string[] | null> {
    return user.role === 'group-admin' ? this.groups.groupIdsOf(em, user.id) : null;
  }

  private async visibleRow(em: EntityManager, user: PortalUser, alertId: string, lock: boolean): Promise<AlertRow> {
    if (!UUID.test(alertId)) throw new NotFoundException();
    const [row] = await em.execute<AlertRow[]>(`select ${COLUMNS} from alert where id = ?${lock ? ' for update' : ''}`, [alertId]);
    if (!row) throw new NotFoundException();
    const scope = await this.scopeOf(em, user);
    if (scope && !scope.includes(row.group_id)) throw new NotFoundException();
    return row;
  }

  private async views(em: EntityManager, rows: readonly AlertRow[]): Promise<AlertView[]> {
    const labels = await this.groupLookups.labelsOf(
      em,
      rows.map((row) => row.group_id),
    );
    const ogscIds = await this.participants.ogscIds(
      em,
      rows.map((row) => row.participant_id),
    );
    return rows.map((row) => {
      const ogscId = ogscIds.get(row.participant_id) ?? null;
      const measuredAt = row.measured_at ? new Date(row.measured_at) : null;
      return {
        id: row.id,
        rule: row.rule,
        status: row.status,
        raisedAt: new Date(row.raised_at),
        measuredAt,
        detail: row.detail,
        group: labels.get(row.group_id) ?? null,
        ogscId,
        chartUrl: ogscId
          ? alertChartPath(ogscId, { kind: row.reading_kind, id: row.reading_id, measuredAt }, this.config.environment.timezone)
          : null,
        acknowledgedAt: row.acknowledged_at,
        acknowledgedLogin: row.acknowledged_login,
        note: row.note,
      };
    });
  }
}

function rulesOf(rules: AlertRuleSet) {
  return {
    bpCrisisEnabled: rules.bpCrisisEnabled,
    systolicAtLeast: rules.systolicAtLeast,
    diastolicAtLeast: rules.diastolicAtLeast,
    afibEnabled: rules.afibEnabled,
    noReadingEnabled: rules.noReadingEnabled,
    noReadingDays: rules.noReadingDays,
    noReadingMinReadings: rules.noReadingMinReadings,
    reconnectEnabled: rules.reconnectEnabled,
  };
}
