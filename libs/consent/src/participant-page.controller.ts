import { Body, Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { OnInvalidForm, SignInForm } from '@opendsp/admin-auth';
import type { Request, Response } from 'express';
import { DspConfig } from '@opendsp/config';
import { translate } from '@opendsp/i18n';
import { ConsentExceptionFilter } from './consent-exception.filter.js';
import { allowFormTargets, consentPage } from './consent-pages.helpers.js';
import { ParticipantPageSteps, SIGNED_OUT } from './participant-page-steps.service.js';
import { ParticipantSessions } from './participant-sessions.service.js';

const NOTICES = ['withdrawn', 'reconnected', 'signed_out', 'cancelled', 'omron_failed'];

/**
 * The participant page (`/consent/me`): connection status, last sync, recent readings, reconnecting OMRON
 * and withdrawing consent. Signed in with the participant session cookie, which the end of a consent flow
 * sets; otherwise it offers sign-in with OMRON connect or a pre-created login ID.
 */
@Controller('consent/me')
@UseFilters(ConsentExceptionFilter)
export class ParticipantPageController {
  constructor(
    private readonly steps: ParticipantPageSteps,
    private readonly sessions: ParticipantSessions,
    private readonly config: DspConfig,
  ) {}

  @Get()
  async page(@Req() req: Request, @Res() res: Response, @Query('notice') notice?: unknown): Promise<void> {
    const noticeKey = typeof notice === 'string' && NOTICES.includes(notice) ? `participant.notice.${notice}` : undefined;
    const overview = await this.steps.overview(req);
    if (!overview) return this.renderSignIn(res, { notice: noticeKey });
    if (overview.canConnect) allowFormTargets(res, this.config.omron.websiteUrl);
    const lang = res.locals.lang as 'ja' | 'en';
    consentPage(res, 'me', {
      title: 'participant.title',
      notice: noticeKey,
      ...overview,
      readings: overview.readings.map((reading) => ({ ...reading, value: translate(lang, reading.valueKey, reading.values) })),
    });
  }

  @Post('sign-in')
  @OnInvalidForm((controller: ParticipantPageController, _req, form, res) =>
    controller.renderSignIn(res, { errors: form.errors, values: form.values }, 422),
  )
  async signIn(@Req() req: Request, @Res() res: Response, @Body() form: SignInForm): Promise<void> {
    const result = await this.steps.signIn(req, res, form.loginId, form.password);
    // A generated password is changed on the group's link, where the first sign-in belongs.
    const refused = { failed: { failed: true }, expired: { expired: true }, first_sign_in: { firstSignIn: true } } as const;
    if (result !== 'signed_in') return this.renderSignIn(res, { ...refused[result], values: { loginId: form.loginId } }, 401);
    res.redirect(303, '/consent/me');
  }

  @Post('sign-in/omron')
  async signInWithOmron(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.steps.signInWithOmron(req, res);
  }

  /** Authorise OMRON again: a connection that needs it (`reconnect_needed`, `revoked`, `withdrawn`), or one never made. */
  @Post('reconnect')
  async reconnect(@Req() req: Request, @Res() res: Response): Promise<void> {
    if ((await this.steps.reconnect(req, res)) === SIGNED_OUT) res.redirect(303, '/consent/me');
  }

  @Get('withdraw/:enrollmentId')
  async withdrawPage(@Req() req: Request, @Res() res: Response, @Param('enrollmentId') enrollmentId: string): Promise<void> {
    const enrollment = await this.steps.withdrawable(req, enrollmentId);
    if (enrollment === SIGNED_OUT) return res.redirect(303, '/consent/me');
    consentPage(res, 'withdraw', {
      title: 'participant.withdraw.title',
      enrollment,
      partnerName: this.config.environment.partnerName,
      keepsData: this.config.withdrawal.keepsData,
      grantStaysAtOmron: this.config.omron.revocationUrl === null,
    });
  }

  @Post('withdraw/:enrollmentId')
  async withdraw(@Req() req: Request, @Res() res: Response, @Param('enrollmentId') enrollmentId: string): Promise<void> {
    if ((await this.steps.withdraw(req, enrollmentId)) === SIGNED_OUT) return res.redirect(303, '/consent/me');
    res.redirect(303, '/consent/me?notice=withdrawn');
  }

  @Post('sign-out')
  async signOut(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.sessions.end(req, res);
    res.redirect(303, '/consent/me?notice=signed_out');
  }

  private renderSignIn(res: Response, data: Record<string, unknown>, status = 200): void {
    allowFormTargets(res, this.config.omron.websiteUrl);
    consentPage(
      res,
      'me-sign-in',
      { title: 'participant.sign_in.title', values: {}, partnerName: this.config.environment.partnerName, ...data },
      status,
    );
  }
}
