import { Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Access, PortalController, renderPage } from '@opendsp/admin-auth';

/** The read-only environment page. (The dashboard, the front page once signed in, is in libs/data-views.) */
@PortalController()
export class HomePortalController {
  @Get('environment')
  @Access('environment.view')
  environment(@Res() res: Response): void {
    // The layout's locals carry DspConfig.environment already; this page only lays it out.
    renderPage(res, 'environment', { title: 'environment.title' });
  }
}
