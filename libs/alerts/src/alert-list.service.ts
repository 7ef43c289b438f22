import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import { adminGroupIdsSql, GroupLookups } from '@opendsp/groups';
import { UUID } from '@opendsp/pagination';
import type { AlertResolution, AlertRule, AlertStatus } from './alert-rules.catalogue.js';

/** Which alerts a list shows: a status (or all), a rule, one participant, after a keyset position, at most `limit`. */
export interface AlertListFilters {
  status: AlertStatus | 'all';
  rule?: AlertRule;
  /** A participant's internal ID. */
  participantId?: string;
  /** The last alert of the previous page (lists are newest first, by raised_at then id). */
  after?: { raisedAt: Date; id: string };
  limit: number;
}

/** One alert row as the inbox and the REST API read it. */
export interface AlertRecord {
  id: string;
  /** The group's internal ID. */
  groupId: string;
  participantId: string;
  rule: AlertRule;
  status: AlertStatus;
  raisedAt: Date;
  readingKind: string | null;
  readingId: string | null;
  measuredAt: Date | null;
  detail: Record<string, unknown>;
  acknowledgedAt: Date | null;
  acknowledgedLogin: string | null;
  note: string | null;
  resolvedAt: Date | null;
  resolution: AlertResolution | null;
}

/** The alert does not exist, or is not in the groups the caller may see (the two look alike on purpose). */
export class AlertNotFoundError extends Error {}
/** The alert was already acknowledged or resolved; its note stays. */
export class AlertNotOpenError extends Error {
  constructor(readonly status: AlertStatus) {
    super(`The alert is ${status}.`);
  }
}

type AlertRow = {
  id: string;
  group_id: string;
  participant_id: string;
  rule: AlertRule;
  status: AlertStatus;
  raised_at: Date | string;
  reading_kind: string | null;
  reading_id: string | null;
  measured_at: Date | string | null;
  detail: Record<string, unknown>;
  acknowledged_at: Date | string | null;
  acknowledged_login: string | null;
  note: string | null;
  resolved_at: Date | string | null;
  resolution: AlertResolution | null;
};

const COLUMNS = `id, group_id, participant_id, rule, status, raised_at, reading_kind, reading_id::text, measured_at, detail,
  acknowledged_at, acknowledged_login, note, resolved_at, resolution`;

const dateOrNull = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

/**
 * Alerts as lists read them, for the portal's inbox and the REST API alike: a page of the alerts of some groups,
 * how many are open, and acknowledging one with a note (audited in the same transaction). Callers pass the
 * groups their user or client may see (`scope`, internal IDs; null: every group).
 */
@Injectable()
export class AlertList {
  private readonly groupLookups = new GroupLookups();

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditLog,
  ) {}

  /** One page, newest first, with the position the next page starts after (null on the last page). */
  async page(
    scope: readonly string[] | null,
    filters: AlertListFilters,
  ): Promise<{ alerts: AlertRecord[]; next: { raisedAt: Date; id: string } | null }> {
    if (scope && scope.length === 0) return { alerts: [], next: null };
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
    if (filters.participantId) {
      where.push('participant_id = ?::uuid');
      params.push(filters.participantId);
    }
    if (filters.after) {
      where.push('(raised_at, id) < (?::timestamptz, ?::uuid)');
      params.push(filters.after.raisedAt.toISOString(), filters.after.id);
    }
    const rows = await this.em
      .fork()
      .execute<AlertRow[]>(
        `select ${COLUMNS} from alert ${where.length ? `where ${where.join(' and ')}` : ''} order by raised_at desc, id desc limit ?`,
        [...params, filters.limit + 1],
      );
    const alerts = rows.slice(0, filters.limit).map(recordOf);
    const last = alerts.at(-1);
    return { alerts, next: rows.length > filters.limit && last ? { raisedAt: last.raisedAt, id: last.id } : null };
  }

  /** Open alerts in the groups (null: all), through `alert_open_unique`. */
  async openCount(scope: readonly string[] | null): Promise<number> {
    if (scope && scope.length === 0) return 0;
    const [row] = await this.em
      .fork()
      .execute<{ count: string }[]>(
        `select count(*)::text as count from alert where status = 'open'${scope ? ' and group_id = any(?::uuid[])' : ''}`,
        scope ? [`{${scope.join(',')}}`] : [],
      );
    return Number(row.count);
  }

  /**
   * Open alerts an admin may see, up to `cap` (a badge says "99+" beyond), in one statement for every portal page's
   * navigation: a group admin's groups' (`groupAdminId`), or every group's (null). An index-only scan of
   * `alert_open_unique`, whose rows are the open alerts only, that stops after `cap` + 1 entries, so a backlog of
   * thousands costs what a hundred do.
   */
  async openCountForAdmin(groupAdminId: string | null, cap: number): Promise<number> {
    const [row] = await this.em
      .fork()
      .execute<{ count: string }[]>(
        `select count(*)::text as count from (select 1 from alert where status = 'open'${
          groupAdminId ? ` and group_id in (${adminGroupIdsSql('?::uuid')})` : ''
        } limit ?) open`,
        [...(groupAdminId ? [groupAdminId] : []), cap + 1],
      );
    return Number(row.count);
  }

  /** One alert in the scope; `AlertNotFoundError` otherwise. */
  async get(scope: readonly string[] | null, alertId: string): Promise<AlertRecord> {
    return recordOf(await this.visibleRow(this.em.fork(), scope, alertId, false));
  }

  /**
   * Acknowledges an open alert in the scope with a note, as `by` (an admin, or an API client with no admin ID),
   * audited in the same transaction. `AlertNotFoundError` for one outside the scope, `AlertNotOpenError` for one
   * acknowledged or resolved already (its note stays).
   */
  async acknowledge(
    scope: readonly string[] | null,
    alertId: string,
    note: string,
    by: { adminId: string | null; login: string },
    actor: AuditActor,
  ): Promise<AlertRecord> {
    return this.em.fork().transactional(async (em) => {
      const row = await this.visibleRow(em, scope, alertId, true);
      if (row.status !== 'open') throw new AlertNotOpenError(row.status);
      const [updated] = await em.execute<AlertRow[]>(
        `update alert set status = 'acknowledged', acknowledged_at = now(), acknowledged_by = ?, acknowledged_login = ?, note = ?
          where id = ? returning ${COLUMNS}`,
        [by.adminId, by.login, note, row.id],
      );
      const group = (await this.groupLookups.labelsOf(em, [row.group_id])).get(row.group_id);
      this.audit.record(em, {
        action: 'alert.acknowledged',
        actor,
        target: { type: 'alert', id: row.id },
        detail: { rule: row.rule, group_id: group?.groupId ?? null, note_length: note.length },
      });
      return recordOf(updated);
    });
  }

  private async visibleRow(em: EntityManager, scope: readonly string[] | null, alertId: string, lock: boolean): Promise<AlertRow> {
    if (!UUID.test(alertId)) throw new AlertNotFoundError();
    const [row] = await em.execute<AlertRow[]>(`select ${COLUMNS} from alert where id = ?${lock ? ' for update' : ''}`, [alertId]);
    if (!row || (scope && !scope.includes(row.group_id))) throw new AlertNotFoundError();
    return row;
  }
}

function recordOf(row: AlertRow): AlertRecord {
  return {
    id: row.id,
    groupId: row.group_id,
    participantId: row.participant_id,
    rule: row.rule,
    status: row.status,
    raisedAt: new Date(row.raised_at),
    readingKind: row.reading_kind,
    readingId: row.reading_id,
    measuredAt: dateOrNull(row.measured_at),
    detail: row.detail,
    acknowledgedAt: dateOrNull(row.acknowledged_at),
    acknowledgedLogin: row.acknowledged_login,
    note: row.note,
    resolvedAt: dateOrNull(row.resolved_at),
    resolution: row.resolution,
  };
}
