import { Body, Controller, Get, NotFoundException, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { OnInvalidForm, SignInForm } from '@opendsp/admin-auth';
import type { Request, Response } from 'express';
import { DspConfig } from '@opendsp/config';
import { translate } from '@opendsp/i18n';
import { EnrollmentNotFoundError, WithdrawalService } from '@opendsp/participants';
import { ConsentExceptionFilter } from './consent-exception.filter.js';
import { ConsentFlows } from './consent-flows.service.js';
import { allowFormTargets, clientIp, consentPage } from './consent-pages.js';
import { SIGN_IN_SCOPES } from './consent-scopes.js';
import { OmronSignIn } from './omron-sign-in.js';
import { ParticipantPageService } from './participant-page.service.js';
import { ParticipantSessions } from './participant-sessions.service.js';
import { ParticipantSignInService } from './participant-sign-in.service.js';

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
    private readonly sessions: ParticipantSessions,
    private readonly pages: ParticipantPageService,
    private readonly signIns: ParticipantSignInService,
    private readonly flows: ConsentFlows,
    private readonly omron: OmronSignIn,
    private readonly withdrawals: WithdrawalService,
    private readonly config: DspConfig,
  ) {}

  @Get()
  async page(@Req() req: Request, @Res() res: Response, @Query('notice') notice?: unknown): Promise<void> {
    const noticeKey = typeof notice === 'string' && NOTICES.includes(notice) ? `participant.notice.${notice}` : undefined;
    const participant = await this.sessions.participantOf(req);
    if (!participant) return this.renderSignIn(res, { notice: noticeKey });
    const overview = await this.pages.overview(participant);
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
    const result = await this.signIns.signIn(form.loginId, form.password, clientIp(req));
    if (result.kind !== 'signed-in') return this.renderSignIn(res, { [result.kind]: true, values: { loginId: form.loginId } }, 401);
    // A generated password is changed on the group's link, where the first sign-in belongs.
    if (result.participant.mustChangePassword) return this.renderSignIn(res, { firstSignIn: true, values: { loginId: form.loginId } }, 401);
    await this.sessions.start(res, result.participant.id, req);
    res.redirect(303, '/consent/me');
  }

  @Post('sign-in/omron')
  async signInWithOmron(@Req() req: Request, @Res() res: Response): Promise<void> {
    const flow = await this.flows.start(res, { purpose: 'sign_in', scopes: SIGN_IN_SCOPES });
    await this.omron.begin(req, res, flow);
  }

  /** Authorise OMRON again: a connection that needs it (`reconnect_needed`, `revoked`, `withdrawn`), or one never made. */
  @Post('reconnect')
  async reconnect(@Req() req: Request, @Res() res: Response): Promise<void> {
    const participant = await this.sessions.participantOf(req);
    if (!participant) return res.redirect(303, '/consent/me');
    const scopes = await this.pages.reconnectScopes(participant.id);
    const flow = await this.flows.start(res, { purpose: 'reconnect', scopes, participantId: participant.id });
    await this.omron.begin(req, res, flow);
  }

  @Get('withdraw/:enrollmentId')
  async withdrawPage(@Req() req: Request, @Res() res: Response, @Param('enrollmentId') enrollmentId: string): Promise<void> {
    const participant = await this.sessions.participantOf(req);
    if (!participant) return res.redirect(303, '/consent/me');
    const enrollment = await this.pages.withdrawable(participant.id, enrollmentId);
    if (!enrollment) throw new NotFoundException();
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
    const participant = await this.sessions.participantOf(req);
    if (!participant) return res.redirect(303, '/consent/me');
    try {
      await this.withdrawals.withdraw(enrollmentId, { kind: 'participant', participantId: participant.id, ip: clientIp(req) });
    } catch (error) {
      if (error instanceof EnrollmentNotFoundError) throw new NotFoundException();
      throw error;
    }
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
