import { Body, Get, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
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
import { GroupVisibleGuard } from '@opendsp/groups';
import { InsightsPages } from '../insights-pages.service.js';
import { AdherenceQuery, ControlListQuery, ThresholdsForm } from './dto/insights-queries.dto.js';

/**
 * A group's adherence list (and its CSV), its blood-pressure control page with the thresholds form, and the
 * participants each control figure counts. Group admins see only their groups (404 otherwise).
 */
@PortalController('groups')
@UseGuards(GroupVisibleGuard)
export class InsightsPortalController {
  constructor(private readonly pages: InsightsPages) {}

  @Get(':groupId/adherence')
  @Access('groups.view')
  async adherence(@Req() req: PortalRequest, @Res() res: Response, @Param('groupId') groupId: string, @Query() query: AdherenceQuery) {
    renderPage(res, 'insights/adherence', await this.pages.adherencePage(req.portal.user!, groupId, query));
  }

  @Get(':groupId/adherence.csv')
  @Access('groups.view')
  async adherenceCsv(@Req() req: PortalRequest, @Res() res: Response, @Param('groupId') groupId: string, @Query() query: AdherenceQuery) {
    const csv = await this.pages.adherenceCsv(req.portal.user!, groupId, query, actorOf(req));
    res.attachment(csv.fileName).type('text/csv; charset=utf-8').send(csv.body);
  }

  @Get(':groupId/blood-pressure')
  @Access('groups.view')
  async control(@Req() req: PortalRequest, @Res() res: Response, @Param('groupId') groupId: string, @Query('notice') notice?: string) {
    renderPage(res, 'insights/control', {
      ...(await this.pages.controlPage(req.portal.user!, groupId, req.portal.lang)),
      notice: noticeKey(notice),
    });
  }

  @Post(':groupId/blood-pressure/thresholds')
  @Access('groups.edit')
  @OnInvalidForm('insights/control', (controller: InsightsPortalController, req, form) =>
    controller.pages.controlPage(req.portal.user!, String(req.params.groupId), req.portal.lang, form.errors, form.values),
  )
  async setThresholds(@Req() req: PortalRequest, @Res() res: Response, @Param('groupId') groupId: string, @Body() form: ThresholdsForm) {
    const next = await this.pages.setThresholds(
      req.portal.user!,
      groupId,
      {
        target: { systolic: form.targetSystolic, diastolic: form.targetDiastolic },
        hedis: { systolic: form.hedisSystolic, diastolic: form.hedisDiastolic },
      },
      actorOf(req),
    );
    redirectTo(res, next);
  }

  @Get(':groupId/blood-pressure/participants')
  @Access('groups.view')
  async controlParticipants(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('groupId') groupId: string,
    @Query() query: ControlListQuery,
  ) {
    renderPage(res, 'insights/control-participants', await this.pages.controlParticipants(req.portal.user!, groupId, query));
  }
}
