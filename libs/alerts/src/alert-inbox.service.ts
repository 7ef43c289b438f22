import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { PortalUser } from '@opendsp/admin-auth';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import { GroupLookups, GroupsService, type ProgramGroup } from '@opendsp/groups';
import { encodeCursor, parseCreatedAtCursor } from '@opendsp/pagination';
import { AlertLabels } from './alert-labels.service.js';
import { AlertList, AlertNotFoundError, AlertNotOpenError, type AlertRecord } from './alert-list.service.js';
import { AlertRuleSet } from './alert-rule-set.entity.js';
import type { AlertResolution, AlertRule, AlertStatus } from './alert-rules.catalogue.js';
import { Alert } from './alert.entity.js';
import type { AlertRulesForm } from './dto/alert-forms.dto.js';

/** Alerts per inbox page. */
export const INBOX_PAGE_SIZE = 50;

export interface InboxFilters {
  status: AlertStatus | 'all';
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
  resolvedAt: Date | null;
  resolution: AlertResolution | null;
}

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
    private readonly list: AlertList,
    private readonly labels: AlertLabels,
    private readonly audit: AuditLog,
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
    const cursor = parseCreatedAtCursor(filters.after);
    const { alerts, next } = await this.list.page(scope, {
      status: filters.status,
      rule: filters.rule,
      after: cursor ? { raisedAt: cursor.createdAt, id: cursor.id } : undefined,
      limit: INBOX_PAGE_SIZE,
    });
    return {
      alerts: await this.views(em, alerts),
      next: next ? encodeCursor([next.raisedAt.toISOString(), next.id]) : null,
      group,
      open: await this.list.openCount(scope),
    };
  }

  /** One alert the admin may see; 404 otherwise. */
  async get(user: PortalUser, alertId: string): Promise<AlertView> {
    const em = this.em.fork();
    const alert = await notFoundAs404(this.list.get(await this.scopeOf(em, user), alertId));
    return (await this.views(em, [alert]))[0];
  }

  /**
   * Acknowledges an open alert with a note, audited in the same transaction. 404 for an alert the admin may not
   * see; 409 for one already acknowledged or resolved (its note stays).
   */
  async acknowledge(user: PortalUser, alertId: string, note: string, actor: AuditActor): Promise<void> {
    const scope = await this.scopeOf(this.em.fork(), user);
    try {
      await this.list.acknowledge(scope, alertId, note, { adminId: user.id, login: user.loginId }, actor);
    } catch (error) {
      if (error instanceof AlertNotOpenError) throw new ConflictException(`This alert was already ${error.status}.`);
      if (error instanceof AlertNotFoundError) throw new NotFoundException();
      throw error;
    }
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

  private async views(em: EntityManager, alerts: readonly AlertRecord[]): Promise<AlertView[]> {
    return (await this.labels.of(em, alerts)).map((alert) => ({
      id: alert.id,
      rule: alert.rule,
      status: alert.status,
      raisedAt: alert.raisedAt,
      measuredAt: alert.measuredAt,
      detail: alert.detail,
      group: alert.group,
      ogscId: alert.ogscId,
      chartUrl: alert.chartPath,
      acknowledgedAt: alert.acknowledgedAt,
      acknowledgedLogin: alert.acknowledgedLogin,
      note: alert.note,
      resolvedAt: alert.resolvedAt,
      resolution: alert.resolution,
    }));
  }
}

/** The list's "not yours or not there" as the portal's 404. */
async function notFoundAs404<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof AlertNotFoundError) throw new NotFoundException();
    throw error;
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
