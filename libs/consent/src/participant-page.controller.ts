import { Body, Controller, Get, NotFoundException, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { SignInForm } from '@opendsp/admin-auth';
import type { Request, Response } from 'express';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { translate, validateForm } from '@opendsp/i18n';
import { Enrollment, EnrollmentNotFoundError, WithdrawalService } from '@opendsp/participants';
import { ConsentExceptionFilter } from './consent-exception.filter.js';
import { ConsentFlows } from './consent-flows.service.js';
import { allowFormTargets, clientIp, consentPage } from './consent-pages.js';
import { reconnectScopes, SIGN_IN_SCOPES } from './consent-scopes.js';
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
    private readonly em: EntityManager,
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
  async signIn(@Req() req: Request, @Res() res: Response, @Body() body: unknown): Promise<void> {
    const form = await validateForm(SignInForm, body);
    if (!form.ok) return this.renderSignIn(res, { errors: form.errors, values: body }, 422);
    const result = await this.signIns.signIn(form.value.loginId, form.value.password, clientIp(req));
    if (result.kind !== 'signed-in') return this.renderSignIn(res, { [result.kind]: true, values: { loginId: form.value.loginId } }, 401);
    // A generated password is changed on the group's link, where the first sign-in belongs.
    if (result.participant.mustChangePassword)
      return this.renderSignIn(res, { firstSignIn: true, values: { loginId: form.value.loginId } }, 401);
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
    // As consent asked: each consented group's data types (consentScopes), together for a person in several groups.
    const consented = await this.em.fork().find(Enrollment, { participant: participant.id, status: 'consented' }, { populate: ['group'] });
    const flow = await this.flows.start(res, {
      purpose: 'reconnect',
      scopes: reconnectScopes(
        this.config.environment.region.id,
        consented.map((enrollment) => enrollment.group.dataTypes),
      ),
      participantId: participant.id,
    });
    await this.omron.begin(req, res, flow);
  }

  @Get('withdraw/:enrollmentId')
  async withdrawPage(@Req() req: Request, @Res() res: Response, @Param('enrollmentId') enrollmentId: string): Promise<void> {
    const participant = await this.sessions.participantOf(req);
    if (!participant) return res.redirect(303, '/consent/me');
    const enrollment = /^[0-9a-f-]{36}$/.test(enrollmentId)
      ? await this.em
          .fork()
          .findOne(Enrollment, { id: enrollmentId, participant: participant.id, status: 'consented' }, { populate: ['group'] })
      : null;
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
