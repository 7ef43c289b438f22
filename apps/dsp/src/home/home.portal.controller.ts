import { Body, Get, Post, Query, Req, Res } from '@nestjs/common';
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
import { DspConfig } from '@opendsp/config';
import { OmronRegistrationService } from './omron-registration.service.js';
import { ReadinessService } from './readiness.service.js';
import { RecordBackupForm } from './record-backup.dto.js';

/** The environment page with its readiness checklist. (The dashboard, the front page once signed in, is in libs/data-views.) */
@PortalController()
export class HomePortalController {
  constructor(
    private readonly config: DspConfig,
    private readonly registration: OmronRegistrationService,
    private readonly readiness: ReadinessService,
  ) {}

  /** What every rendering of the environment page shows. NOTIFICATION_AUTH=none is allowed, never quietly: the page says so in red. */
  private async environmentPage(): Promise<Record<string, unknown>> {
    return {
      title: 'environment.title',
      readiness: await this.readiness.checklist(),
      notificationsOpen: this.config.notifications.explicitlyOpen,
    };
  }

  @Get('environment')
  @Access('environment.view')
  async environment(@Res() res: Response, @Query('notice') notice?: string): Promise<void> {
    // The layout's locals carry DspConfig.environment already; this page adds the checklist.
    renderPage(res, 'environment', { ...(await this.environmentPage()), notice: noticeKey(notice) });
  }

  @Post('environment/backup')
  @Access('environment.record-backup')
  @OnInvalidForm('environment', async (controller: HomePortalController, _req, form) => ({
    ...(await controller.environmentPage()),
    errors: form.errors,
  }))
  async recordBackup(@Req() req: PortalRequest, @Res() res: Response, @Body() form: RecordBackupForm): Promise<void> {
    await this.readiness.recordBackup(form.day, actorOf(req));
    redirectTo(res, '/environment?notice=saved');
  }

  /** The printable sheet of what to send OMRON; partner admins only, as it carries the notification secret. */
  @Get('environment/omron-registration')
  @Access('environment.registration')
  async omronRegistration(@Res() res: Response): Promise<void> {
    renderPage(res, 'omron-registration', { title: 'registration.title', sheet: await this.registration.sheet() });
  }
}
