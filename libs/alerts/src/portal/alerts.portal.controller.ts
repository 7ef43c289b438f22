import { Body, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import {
  Access,
  actorOf,
  noticeKey,
  OnInvalidForm,
  PortalController,
  redirectTo,
  renderPage,
  type PortalRequest,
} from '@opendsp/admin-auth';
import type { FieldErrors } from '@opendsp/i18n';
import { AlertInbox } from '../alert-inbox.service.js';
import { ALERT_RULES, ALERT_STATUSES } from '../alert-rules.catalogue.js';
import { AcknowledgeAlertForm, AlertInboxQuery, AlertRulesForm } from '../dto/alert-forms.dto.js';

/** The alerts inbox, one alert with its acknowledgement, and a group's alert rules. */
@PortalController('alerts')
export class AlertsPortalController {
  constructor(private readonly inbox: AlertInbox) {}

  @Get()
  @Access('participants.view')
  async list(@Req() req: PortalRequest, @Res() res: Response, @Query() query: AlertInboxQuery): Promise<void> {
    const { alerts, next, group, open } = await this.inbox.page(req.portal.user!, query);
    const filters = { status: query.status, group: query.group ?? '', rule: query.rule ?? '' };
    renderPage(res, 'alerts/inbox', {
      title: 'alerts.title',
      alerts,
      open,
      group: group ? { groupId: group.groupId, displayName: group.displayName } : null,
      filters,
      rules: ALERT_RULES,
      statuses: [...ALERT_STATUSES, 'all'],
      nextQuery: next ? new URLSearchParams({ ...filters, after: next }).toString() : null,
    });
  }

  @Get('rules/:groupId')
  @Access('groups.edit')
  async rules(@Req() req: PortalRequest, @Res() res: Response, @Param('groupId') groupId: string, @Query('notice') notice?: string) {
    renderPage(res, 'alerts/rules', { ...(await this.rulesView(req, groupId)), notice: noticeKey(notice) });
  }

  @Post('rules/:groupId')
  @Access('groups.edit')
  @OnInvalidForm('alerts/rules', (controller: AlertsPortalController, req, form) =>
    controller.rulesView(req, String(req.params.groupId), form.values, form.errors),
  )
  async saveRules(@Req() req: PortalRequest, @Res() res: Response, @Param('groupId') groupId: string, @Body() form: AlertRulesForm) {
    await this.inbox.updateRules(req.portal.user!, groupId, form, actorOf(req));
    redirectTo(res, `/alerts/rules/${groupId}?notice=saved`);
  }

  @Get(':alertId')
  @Access('participants.view')
  async details(@Req() req: PortalRequest, @Res() res: Response, @Param('alertId') alertId: string, @Query('notice') notice?: string) {
    renderPage(res, 'alerts/alert', { ...(await this.alertView(req, alertId)), notice: noticeKey(notice) });
  }

  @Post(':alertId/acknowledge')
  @Access('groups.edit')
  @OnInvalidForm('alerts/alert', (controller: AlertsPortalController, req, form) =>
    controller.alertView(req, String(req.params.alertId), form.values, form.errors),
  )
  async acknowledge(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('alertId') alertId: string,
    @Body() form: AcknowledgeAlertForm,
  ) {
    await this.inbox.acknowledge(req.portal.user!, alertId, form.note, actorOf(req));
    redirectTo(res, `/alerts/${alertId}?notice=saved`);
  }

  async alertView(req: PortalRequest, alertId: string, values?: Record<string, unknown>, errors?: FieldErrors) {
    const alert = await this.inbox.get(req.portal.user!, alertId);
    return {
      title: 'alerts.alert_title',
      alert,
      detail: Object.entries(alert.detail).map(([name, value]) => ({ name, value: value === null ? '—' : String(value) })),
      values: { note: typeof values?.note === 'string' ? values.note : '' },
      errors,
    };
  }

  async rulesView(req: PortalRequest, groupId: string, values?: Record<string, unknown>, errors?: FieldErrors) {
    const { group, rules } = await this.inbox.rulesOf(req.portal.user!, groupId);
    const shown = values
      ? {
          ...Object.fromEntries(Object.entries(values).filter(([, value]) => typeof value === 'string')),
          bpCrisisEnabled: values.bpCrisisEnabled === 'on',
          afibEnabled: values.afibEnabled === 'on',
          noReadingEnabled: values.noReadingEnabled === 'on',
          reconnectEnabled: values.reconnectEnabled === 'on',
        }
      : rules;
    return { title: 'alerts.rules_title', group: { groupId: group.groupId, displayName: group.displayName }, values: shown, errors };
  }
}
