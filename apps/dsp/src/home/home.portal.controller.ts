import { Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Access, PortalController, renderPage } from '@opendsp/admin-auth';
import { OmronRegistrationService } from './omron-registration.service.js';

/** The read-only environment page. (The dashboard, the front page once signed in, is in libs/data-views.) */
@PortalController()
export class HomePortalController {
  constructor(private readonly registration: OmronRegistrationService) {}

  @Get('environment')
  @Access('environment.view')
  environment(@Res() res: Response): void {
    // The layout's locals carry DspConfig.environment already; this page only lays it out.
    renderPage(res, 'environment', { title: 'environment.title' });
  }

  /** The printable sheet of what to send OMRON; partner admins only, as it carries the notification secret. */
  @Get('environment/omron-registration')
  @Access('environment.registration')
  async omronRegistration(@Res() res: Response): Promise<void> {
    renderPage(res, 'omron-registration', { title: 'registration.title', sheet: await this.registration.sheet() });
  }
}
