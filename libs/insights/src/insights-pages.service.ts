import { BadRequestException, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { PortalUser } from '@opendsp/admin-auth';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import { GroupsService, type ProgramGroup } from '@opendsp/groups';
import type { Language } from '@opendsp/config';
import { csvText } from '@opendsp/csv';
import { translate } from '@opendsp/i18n';
import { ADHERENCE_ORDERS, ADHERENCE_THRESHOLD_DAYS, type AdherenceOrder, type AdherencePeriod } from './adherence.rules.js';
import { AdherenceCursorError, AdherenceService, adherenceCsvRecords } from './adherence.service.js';
import { monthWindow, type ControlBand } from './bp-control.rules.js';
import { BpControlService, ControlCursorError, type GroupThresholds } from './bp-control.service.js';
import { controlTrendChart, share } from './control-trend-chart.helpers.js';

const PAGE_SIZE = 50;

/** What the portal's insight pages show: each method checks the admin may see the group, then gathers one page. */
@Injectable()
export class InsightsPages {
  constructor(
    private readonly em: EntityManager,
    private readonly groups: GroupsService,
    private readonly adherence: AdherenceService,
    private readonly control: BpControlService,
    private readonly audit: AuditLog,
  ) {}

  private visible(user: PortalUser, groupId: string): Promise<ProgramGroup> {
    return this.groups.visibleGroup(this.em.fork(), user, groupId);
  }

  async adherencePage(
    user: PortalUser,
    groupId: string,
    query: { period: AdherencePeriod; order: AdherenceOrder; after?: string },
  ): Promise<Record<string, unknown>> {
    const group = await this.visible(user, groupId);
    let page;
    try {
      page = await this.adherence.page(group.id, { ...query, limit: PAGE_SIZE });
    } catch (error) {
      if (error instanceof AdherenceCursorError) throw new BadRequestException('not a cursor of this list');
      throw error;
    }
    const base = `/groups/${group.groupId}/adherence`;
    const filter = (change: Record<string, string>) =>
      `${base}?${new URLSearchParams({ period: query.period, order: query.order, ...change })}`;
    return {
      title: 'adherence.title',
      group,
      period: query.period,
      order: query.order,
      today: page.today,
      threshold: page.threshold,
      rows: page.rows,
      periods: (['calendar', 'rolling'] as const).map((value) => ({
        value,
        link: filter({ period: value }),
        selected: value === query.period,
      })),
      orders: ADHERENCE_ORDERS.map((value) => ({ value, link: filter({ order: value }), selected: value === query.order })),
      csvLink: `${base}.csv?${new URLSearchParams({ period: query.period, order: query.order })}`,
      firstLink: filter({}),
      nextLink: page.nextAfter ? filter({ after: page.nextAfter }) : null,
      isFirstPage: query.after === undefined,
    };
  }

  /** The whole list as CSV; the download is audited, as the readings' are. */
  async adherenceCsv(
    user: PortalUser,
    groupId: string,
    query: { period: AdherencePeriod; order: AdherenceOrder },
    actor: AuditActor,
  ): Promise<{ fileName: string; body: string }> {
    const group = await this.visible(user, groupId);
    const today = this.adherence.today();
    const rows = await this.adherence.all(group.id, query.period, query.order, today);
    await this.audit.recordNow({
      action: 'adherence.exported',
      actor,
      target: { type: 'group', id: group.groupId },
      detail: { period: query.period, rows: rows.length, today },
    });
    return {
      fileName: `adherence-${group.groupId}-${query.period}-${today}.csv`,
      body: csvText(adherenceCsvRecords(query.period, rows)),
    };
  }

  /** The group page's panel and the control page: this month's figures, the trend chart and the thresholds. */
  async controlView(group: ProgramGroup, lang: Language): Promise<Record<string, unknown>> {
    const thresholds = await this.control.thresholds(group.id);
    const today = this.adherence.today();
    const { months: trend, computedAt } = await this.control.cachedTrend(group.id, today, thresholds);
    const list = (month: string, band: ControlBand) =>
      `/groups/${group.groupId}/blood-pressure/participants?${new URLSearchParams({ month, band })}`;
    const months = trend.map((point) => ({
      ...point,
      targetShare: share(point.underTarget, point.measured),
      hedisShare: share(point.underHedis, point.measured),
      links: {
        measured: list(point.month, 'measured'),
        target: list(point.month, 'target'),
        hedis: list(point.month, 'hedis'),
        uncontrolled: list(point.month, 'uncontrolled'),
      },
      uncontrolled: point.measured - point.underHedis,
    }));
    const chart = controlTrendChart(trend, list, {
      title: translate(lang, 'control.chart_title'),
      target: translate(lang, 'control.under_target'),
      hedis: translate(lang, 'control.under_hedis'),
    });
    return { thresholds, today, computedAt, current: months.at(-1), months: [...months].reverse(), chart };
  }

  async controlPage(user: PortalUser, groupId: string, lang: Language, errors?: object, values?: object): Promise<Record<string, unknown>> {
    const group = await this.visible(user, groupId);
    const view = await this.controlView(group, lang);
    return {
      title: 'control.title',
      group,
      ...view,
      form: values ?? flatThresholds(view.thresholds as GroupThresholds),
      errors: errors ?? {},
      adherenceThreshold: ADHERENCE_THRESHOLD_DAYS,
    };
  }

  async controlParticipants(
    user: PortalUser,
    groupId: string,
    criteria: { month?: string; band: ControlBand; after?: string },
  ): Promise<Record<string, unknown>> {
    const group = await this.visible(user, groupId);
    const today = this.adherence.today();
    const query = { ...criteria, month: criteria.month ?? today.slice(0, 7) };
    // Months after this one have no window yet.
    if (`${query.month}-01` > today) throw new BadRequestException('a month after this one');
    const thresholds = await this.control.thresholds(group.id);
    let page;
    try {
      page = await this.control.participants(group.id, query.month, query.band, today, thresholds, query.after, PAGE_SIZE);
    } catch (error) {
      if (error instanceof ControlCursorError) throw new BadRequestException('not a cursor of this list');
      throw error;
    }
    const base = `/groups/${group.groupId}/blood-pressure/participants`;
    return {
      title: 'control.participants_title',
      group,
      month: query.month,
      band: query.band,
      window: monthWindow(query.month, today),
      thresholds,
      rows: page.rows.map((row) => ({ ...row, systolic: row.systolic.toFixed(1), diastolic: row.diastolic.toFixed(1) })),
      nextLink: page.nextAfter ? `${base}?${new URLSearchParams({ month: query.month, band: query.band, after: page.nextAfter })}` : null,
      firstLink: `${base}?${new URLSearchParams({ month: query.month, band: query.band })}`,
      isFirstPage: query.after === undefined,
    };
  }

  async setThresholds(user: PortalUser, groupId: string, thresholds: GroupThresholds, actor: AuditActor): Promise<string> {
    const group = await this.visible(user, groupId);
    await this.control.setThresholds(group, thresholds, actor);
    return `/groups/${group.groupId}/blood-pressure?notice=saved`;
  }
}

function flatThresholds(thresholds: GroupThresholds): Record<string, number> {
  return {
    targetSystolic: thresholds.target.systolic,
    targetDiastolic: thresholds.target.diastolic,
    hedisSystolic: thresholds.hedis.systolic,
    hedisDiastolic: thresholds.hedis.diastolic,
  };
}
