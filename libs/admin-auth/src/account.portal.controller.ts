import { Body, Get, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import QRCode from 'qrcode';
import { DspConfig } from '@opendsp/config';
import { Access, PortalController } from './access.decorator.js';
import { AdminAccountsService } from './admin-accounts.service.js';
import { ChangePasswordForm, DisableTotpForm, EnableTotpForm } from './dto/auth-forms.dto.js';
import { OnInvalidForm } from './portal-form.decorator.js';
import { noticeKey, redirectTo, renderPage } from './portal-pages.helpers.js';
import { actorOf, type PortalRequest } from './portal-request.types.js';
import { newTotpSecret, totpUri } from './totp.helpers.js';

/** The signed-in admin's own account: password and the optional TOTP second factor. */
@PortalController('account')
export class AccountPortalController {
  constructor(
    private readonly accounts: AdminAccountsService,
    private readonly config: DspConfig,
  ) {}

  @Get()
  @Access('account.manage-own')
  async page(@Req() req: PortalRequest, @Res() res: Response, @Query('notice') notice?: string): Promise<void> {
    renderPage(res, 'account/account', await this.view(req, { notice: noticeKey(notice) }));
  }

  @Post('password')
  @Access('account.manage-own')
  @OnInvalidForm('account/account', (controller: AccountPortalController, req, form) => controller.view(req, { errors: form.errors }))
  async changePassword(@Req() req: PortalRequest, @Res() res: Response, @Body() form: ChangePasswordForm): Promise<void> {
    const user = req.portal.user!;
    const outcome = await this.accounts.changePassword(
      user.id,
      form.current,
      form.password,
      form.confirmation,
      actorOf(req),
      req.portal.sessionTokenHash!,
    );
    if (!outcome.ok) return renderPage(res, 'account/account', await this.view(req, { errors: outcome.errors }), 422);
    redirectTo(res, '/account?notice=saved');
  }

  @Get('totp')
  @Access('account.manage-own')
  async totpPage(@Req() req: PortalRequest, @Res() res: Response): Promise<void> {
    renderPage(res, 'account/totp', await this.totpView(req, newTotpSecret()));
  }

  @Post('totp')
  @Access('account.manage-own')
  @OnInvalidForm('account/totp', async (controller: AccountPortalController, req, form) => ({
    ...(await controller.totpView(req, newTotpSecret())),
    errors: form.errors,
  }))
  async enableTotp(@Req() req: PortalRequest, @Res() res: Response, @Body() form: EnableTotpForm): Promise<void> {
    const outcome = await this.accounts.enableTotp(req.portal.user!.id, form.secret, form.code, actorOf(req), {
      current: form.current,
      currentCode: form.currentCode,
    });
    if (!outcome.ok) {
      const secret = /^[A-Z2-7]{32}$/.test(form.secret) ? form.secret : newTotpSecret();
      return renderPage(res, 'account/totp', { ...(await this.totpView(req, secret)), errors: outcome.errors }, 422);
    }
    redirectTo(res, '/account?notice=totp_enabled');
  }

  @Post('totp/disable')
  @Access('account.manage-own')
  @OnInvalidForm('account/account', (controller: AccountPortalController, req, form) => controller.view(req, { totpErrors: form.errors }))
  async disableTotp(@Req() req: PortalRequest, @Res() res: Response, @Body() form: DisableTotpForm): Promise<void> {
    const outcome = await this.accounts.disableTotp(req.portal.user!.id, form.current, actorOf(req));
    if (!outcome.ok) return renderPage(res, 'account/account', await this.view(req, { totpErrors: outcome.errors }), 422);
    redirectTo(res, '/account?notice=totp_disabled');
  }

  private async view(req: PortalRequest, extra: Record<string, unknown>): Promise<Record<string, unknown>> {
    return { title: 'account.title', totpEnabled: await this.accounts.hasTotp(req.portal.user!.id), ...extra };
  }

  private async totpView(req: PortalRequest, secret: string): Promise<Record<string, unknown>> {
    const uri = totpUri(secret, `OpenDSP ${this.config.environment.partnerName}`, req.portal.user!.loginId);
    return {
      title: 'totp.setup_title',
      totpEnabled: await this.accounts.hasTotp(req.portal.user!.id),
      secret,
      qr: await QRCode.toDataURL(uri, { margin: 1, width: 200 }),
    };
  }
}
