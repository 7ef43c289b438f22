import { Get, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Access, PortalController, renderPage, type PortalRequest } from '@opendsp/admin-auth';
import { DashboardPage } from './dashboard-page.service.js';
import { DashboardQuery } from './dto/dashboard-query.dto.js';

/** The portal's front page: per group, who has joined, whose data flows, who has gone quiet, and how sync is doing. */
@PortalController()
export class DashboardPortalController {
  constructor(private readonly page: DashboardPage) {}

  @Get()
  @Access('dashboard.view')
  async dashboard(@Req() req: PortalRequest, @Res() res: Response, @Query() query: DashboardQuery): Promise<void> {
    renderPage(res, 'data/dashboard', await this.page.view(req.portal.user!, query, req.portal.lang));
  }
}
