import { Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Access, PortalController, renderPage } from '@opendsp/admin-auth';
import { DspConfig } from '@opendsp/config';

/** The read-only environment page. (The dashboard, the front page once signed in, is in libs/data-views.) */
@PortalController()
export class HomePortalController {
  constructor(private readonly config: DspConfig) {}

  @Get('environment')
  @Access('environment.view')
  environment(@Res() res: Response): void {
    // The layout's locals carry DspConfig.environment already; this page only lays it out.
    // NOTIFICATION_AUTH=none is allowed, never quietly: the page says so in red.
    renderPage(res, 'environment', { title: 'environment.title', notificationsOpen: this.config.notifications.explicitlyOpen });
  }
}
