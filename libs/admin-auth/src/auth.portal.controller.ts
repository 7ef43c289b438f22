import { Body, Get, NotFoundException, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import type { FieldErrors } from '@opendsp/i18n';
import { PortalController, PublicPage } from './access.decorator.js';
import { AdminAccountsService } from './admin-accounts.service.js';
import type { AdminTokenPurpose } from './admin-token.entity.js';
import { AuthService } from './auth.service.js';
import { LanguageForm, NewPasswordForm, ResetRequestForm, SecondFactorForm, SignInForm } from './dto/auth-forms.dto.js';
import { PortalCookies } from './portal-cookies.helpers.js';
import { PendingSignInGuard } from './pending-sign-in.guard.js';
import { OnInvalidForm } from './portal-form.decorator.js';
import { noticeKey, redirectTo, renderPage, safeLocalPath } from './portal-pages.helpers.js';
import { actorOf, type PortalRequest } from './portal-request.types.js';

/** Sign-in, second factor, sign-out, one-time password links and the language switch: the pages before the portal. */
@PortalController()
export class AuthPortalController {
  constructor(
    private readonly auth: AuthService,
    private readonly accounts: AdminAccountsService,
    private readonly cookies: PortalCookies,
  ) {}

  @Get('login')
  @PublicPage()
  loginPage(@Req() req: PortalRequest, @Res() res: Response, @Query('next') next?: string, @Query('notice') notice?: string): void {
    if (req.portal.user) return redirectTo(res, safeLocalPath(next));
    renderPage(res, 'auth/login', { ...this.nextOf(next), title: 'login.title', notice: noticeKey(notice), values: {} });
  }

  @Post('login')
  @PublicPage()
  @OnInvalidForm('auth/login', (controller: AuthPortalController, req, form) => ({
    ...controller.nextOf(req.query.next),
    title: 'login.title',
    errors: form.errors,
    values: form.values,
  }))
  async login(@Req() req: PortalRequest, @Res() res: Response, @Body() form: SignInForm, @Query('next') next?: string): Promise<void> {
    const view = { ...this.nextOf(next), title: 'login.title' };
    const result = await this.auth.signIn(form.loginId, form.password, req.portal.ip, req.portal.sessionTokenHash);
    if (result.kind === 'failed') return renderPage(res, 'auth/login', { ...view, failed: true, values: { loginId: form.loginId } }, 401);
    this.cookies.setSession(res, result.token);
    if (result.kind === 'second-factor') return redirectTo(res, `/login/totp?next=${encodeURIComponent(view.next)}`);
    redirectTo(res, view.next);
  }

  @Get('login/totp')
  @PublicPage()
  totpPage(@Req() req: PortalRequest, @Res() res: Response, @Query('next') next?: string): void {
    if (!req.portal.pendingAdminId) return redirectTo(res, '/login');
    renderPage(res, 'auth/login-totp', { ...this.nextOf(next), title: 'totp.title' });
  }

  @Post('login/totp')
  @PublicPage()
  @UseGuards(PendingSignInGuard)
  @OnInvalidForm('auth/login-totp', (controller: AuthPortalController, req, form) => ({
    ...controller.nextOf(req.query.next),
    title: 'totp.title',
    errors: form.errors,
  }))
  async totp(@Req() req: PortalRequest, @Res() res: Response, @Body() form: SecondFactorForm, @Query('next') next?: string): Promise<void> {
    const view = { ...this.nextOf(next), title: 'totp.title' };
    // PendingSignInGuard let only a session waiting for its second factor through.
    const result = await this.auth.completeSecondFactor(req.portal.sessionTokenHash!, req.portal.pendingAdminId!, form.code, req.portal.ip);
    if (result.kind !== 'signed-in') return renderPage(res, 'auth/login-totp', { ...view, failed: true }, 401);
    this.cookies.setSession(res, result.token);
    redirectTo(res, view.next);
  }

  @Post('logout')
  @PublicPage()
  async logout(@Req() req: PortalRequest, @Res() res: Response): Promise<void> {
    if (req.portal.sessionTokenHash) await this.auth.signOut(req.portal.sessionTokenHash, actorOf(req));
    this.cookies.clearSession(res);
    redirectTo(res, '/login?notice=signed_out');
  }

  @Get('setup/:token')
  @PublicPage()
  setupPage(@Param('token') token: string, @Res() res: Response): Promise<void> {
    return this.passwordPage('setup', token, res);
  }

  @Post('setup/:token')
  @PublicPage()
  @OnInvalidForm('auth/set-password', (controller: AuthPortalController, req, form) =>
    controller.setPasswordView('setup', String(req.params.token), form.errors),
  )
  setup(@Param('token') token: string, @Req() req: PortalRequest, @Res() res: Response, @Body() form: NewPasswordForm): Promise<void> {
    return this.setPassword('setup', token, req, res, form);
  }

  @Get('password-reset')
  @PublicPage()
  resetRequestPage(@Res() res: Response, @Query('notice') notice?: string): void {
    renderPage(res, 'auth/reset-request', { title: 'reset.title', notice: noticeKey(notice), values: {} });
  }

  @Post('password-reset')
  @PublicPage()
  @OnInvalidForm('auth/reset-request', (_controller: AuthPortalController, _req, form) => ({
    title: 'reset.title',
    errors: form.errors,
    values: form.values,
  }))
  async resetRequest(@Req() req: PortalRequest, @Res() res: Response, @Body() form: ResetRequestForm): Promise<void> {
    await this.accounts.requestPasswordReset(form.loginId, req.portal.ip);
    // The same answer whether or not the login ID exists.
    redirectTo(res, '/password-reset?notice=reset_sent');
  }

  @Get('password-reset/:token')
  @PublicPage()
  resetPage(@Param('token') token: string, @Res() res: Response): Promise<void> {
    return this.passwordPage('reset', token, res);
  }

  @Post('password-reset/:token')
  @PublicPage()
  @OnInvalidForm('auth/set-password', (controller: AuthPortalController, req, form) =>
    controller.setPasswordView('reset', String(req.params.token), form.errors),
  )
  reset(@Param('token') token: string, @Req() req: PortalRequest, @Res() res: Response, @Body() form: NewPasswordForm): Promise<void> {
    return this.setPassword('reset', token, req, res, form);
  }

  @Post('language')
  @PublicPage()
  // A language the switch does not offer changes nothing: back to the page.
  @OnInvalidForm((_controller, _req, form, res) => redirectTo(res, safeLocalPath(form.values.returnTo)))
  async language(@Req() req: PortalRequest, @Res() res: Response, @Body() form: LanguageForm): Promise<void> {
    this.cookies.setLanguage(res, form.lang);
    if (req.portal.user) await this.accounts.setLanguage(req.portal.user.id, form.lang);
    redirectTo(res, safeLocalPath(form.returnTo));
  }

  private async passwordPage(purpose: AdminTokenPurpose, token: string, res: Response): Promise<void> {
    const admin = await this.accounts.tokenHolder(token, purpose);
    if (!admin) throw new NotFoundException('link');
    renderPage(res, 'auth/set-password', {
      title: `${purpose}.title`,
      purpose,
      loginId: admin.loginId,
      action: this.actionOf(purpose, token),
    });
  }

  private async setPassword(
    purpose: AdminTokenPurpose,
    token: string,
    req: PortalRequest,
    res: Response,
    form: NewPasswordForm,
  ): Promise<void> {
    const view = await this.setPasswordView(purpose, token);
    const outcome = await this.accounts.setPasswordWithToken(token, purpose, form.password, form.confirmation, req.portal.ip);
    if (!outcome) throw new NotFoundException('link');
    if (!outcome.ok) return renderPage(res, 'auth/set-password', { ...view, errors: outcome.errors }, 422);
    redirectTo(res, '/login?notice=password_set');
  }

  /** The set-password page of a link that still holds (404 `link` otherwise), with the form's errors if any. */
  private async setPasswordView(purpose: AdminTokenPurpose, token: string, errors?: FieldErrors): Promise<Record<string, unknown>> {
    const admin = await this.accounts.tokenHolder(token, purpose);
    if (!admin) throw new NotFoundException('link');
    return { title: `${purpose}.title`, purpose, loginId: admin.loginId, action: this.actionOf(purpose, token), errors };
  }

  /** Where to go after signing in, and the same as a query value for the form's action. */
  private nextOf(next: unknown): { next: string; nextParam: string } {
    const path = safeLocalPath(next);
    return { next: path, nextParam: encodeURIComponent(path) };
  }

  private actionOf(purpose: AdminTokenPurpose, token: string): string {
    return purpose === 'setup' ? `/setup/${token}` : `/password-reset/${token}`;
  }
}
