import { Get, NotFoundException, Res } from '@nestjs/common';
import type { Response } from 'express';
import { PortalController, PublicPage, renderPage } from '@opendsp/admin-auth';
import { DspConfig } from '@opendsp/config';
import { Mailer } from '@opendsp/mail';

/**
 * Local development only: the mail the platform would have sent (password reset links), so the reset flow
 * works without an SMTP server. Open without sign-in because whoever needs a reset link cannot sign in; it
 * exists only with NODE_ENV=development, which binds to loopback in the local launcher.
 */
@PortalController('dev/outbox')
export class DevOutboxPortalController {
  constructor(
    private readonly mailer: Mailer,
    private readonly config: DspConfig,
  ) {}

  @Get()
  @PublicPage()
  async list(@Res() res: Response): Promise<void> {
    if (this.config.nodeEnv !== 'development') throw new NotFoundException();
    renderPage(res, 'dev/outbox', { title: 'outbox.title', mails: await this.mailer.recent() });
  }
}
