import { Body, Controller, Get, Logger, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { LanguageForm, NewPasswordForm, OnInvalidForm, PortalCookies, SignInForm } from '@opendsp/admin-auth';
import { DspConfig } from '@opendsp/config';
import { looksLikeOgscId } from '@opendsp/participants';
import { ConsentExceptionFilter } from './consent-exception.filter.js';
import type { ConsentFlow, ConsentFlowStage } from './consent-flow.entity.js';
import { CurrentFlow, FlowAt, flowOf } from './consent-flow.guard.js';
import { ConsentFlows } from './consent-flows.service.js';
import { ConsentDecisionForm } from './dto/consent-forms.dto.js';
import { ConsentLinkService, redirectWith } from './consent-link.service.js';
import { allowFormTargets, clientIp, consentError, consentPage, safeConsentPath, stepOf } from './consent-pages.js';
import { consentScopes, dataScopesOf } from './consent-scopes.js';
import { ConsentService, type AuthorisedOutcome, type DecisionOutcome } from './consent.service.js';
import { LinkOpens } from './link-opens.service.js';
import { OmronSignIn } from './omron-sign-in.js';
import { ParticipantSessions } from './participant-sessions.service.js';
import { ParticipantSignInService } from './participant-sign-in.service.js';

/** Seconds the "you declined at OMRON" page waits before sending the browser back to the partner. */
const DENIED_REDIRECT_SECONDS = 5;

/**
 * The participant's way through a consent link (DSP onboarding document, sections 2–4): the link, the
 * sign-in page (OMRON connect, or a pre-created login ID), the forced new password, the consent screen,
 * connecting OMRON, and the OAuth callback. Open to every address (participants are not in the portal's
 * allowlist); every form carries the CSRF token; the flow lives on the server, bound to the browser.
 */
@Controller('consent')
@UseFilters(ConsentExceptionFilter)
export class ConsentController {
  private readonly logger = new Logger(ConsentController.name);

  constructor(
    private readonly links: ConsentLinkService,
    private readonly flows: ConsentFlows,
    private readonly linkOpens: LinkOpens,
    private readonly signIns: ParticipantSignInService,
    private readonly consent: ConsentService,
    private readonly sessions: ParticipantSessions,
    private readonly omron: OmronSignIn,
    private readonly portalCookies: PortalCookies,
    private readonly config: DspConfig,
  ) {}

  @Get('start')
  async start(@Req() req: Request, @Res() res: Response): Promise<void> {
    const check = await this.links.check(req.query as Record<string, unknown>);
    if (!check.ok) return consentError(res, check.problem, 400, check.params);
    const scopes = consentScopes(this.config.environment.region.id, check.link.group.dataTypes);
    await this.flows.start(res, { purpose: 'consent', scopes, link: check.link });
    await this.linkOpens.count(check.link.group);
    res.redirect(303, '/consent/sign-in');
  }

  @Get('sign-in')
  @FlowAt('started')
  signInPage(@Res() res: Response, @CurrentFlow() flow: ConsentFlow): void {
    this.renderSignIn(res, flow, {});
  }

  @Post('sign-in')
  @FlowAt('started')
  @OnInvalidForm((controller: ConsentController, req, form, res) =>
    controller.renderSignIn(res, flowOf(req), { errors: form.errors, values: form.values }, 422),
  )
  async signIn(@Req() req: Request, @Res() res: Response, @CurrentFlow() flow: ConsentFlow, @Body() form: SignInForm): Promise<void> {
    const result = await this.signIns.signIn(form.loginId, form.password, clientIp(req));
    if (result.kind !== 'signed-in') {
      return this.renderSignIn(res, flow, { [result.kind]: true, values: { loginId: form.loginId } }, 401);
    }
    const { participant } = result;
    const next: ConsentFlowStage = participant.mustChangePassword ? 'signed_in' : 'ready';
    if (!(await this.flows.advance(flow.id, 'started', { stage: next, participantId: participant.id }))) return this.resume(req, res);
    await this.consent.markLinkOpened({ participantId: participant.id }, flow.group!.id, new Date());
    res.redirect(303, next === 'signed_in' ? '/consent/password' : '/consent/consent');
  }

  @Get('password')
  @FlowAt('signed_in')
  passwordPage(@Res() res: Response, @CurrentFlow() flow: ConsentFlow): void {
    consentPage(res, 'password', this.view(flow, { title: 'consent.password.title' }));
  }

  @Post('password')
  @FlowAt('signed_in')
  @OnInvalidForm((controller: ConsentController, req, form, res) =>
    consentPage(res, 'password', controller.view(flowOf(req), { title: 'consent.password.title', errors: form.errors }), 422),
  )
  async password(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentFlow() flow: ConsentFlow,
    @Body() form: NewPasswordForm,
  ): Promise<void> {
    const view = this.view(flow, { title: 'consent.password.title' });
    const outcome = await this.signIns.setPassword(flow.participant!.id, form.password, form.confirmation, clientIp(req));
    if (!outcome.ok) return consentPage(res, 'password', { ...view, errors: outcome.errors }, 422);
    if (!(await this.flows.advance(flow.id, 'signed_in', { stage: 'ready' }))) return this.resume(req, res);
    res.redirect(303, '/consent/consent');
  }

  /** "Sign in with OMRON connect" on the sign-in page, or "Connect your OMRON account" after a pre-created consent. */
  @Post('omron')
  @FlowAt('started', 'consented')
  async omronSignIn(@Req() req: Request, @Res() res: Response, @CurrentFlow() flow: ConsentFlow): Promise<void> {
    // The OMRON button of the sign-in page is for visitors who have not signed in with a login ID.
    if (flow.stage === 'started' && flow.participant) return this.resume(req, res);
    await this.omron.begin(req, res, flow);
  }

  @Get('consent')
  @FlowAt('ready', 'authorised')
  consentScreen(@Res() res: Response, @CurrentFlow() flow: ConsentFlow): void {
    this.renderConsent(res, flow);
  }

  @Post('consent')
  @FlowAt('ready', 'authorised')
  @OnInvalidForm((controller: ConsentController, req, _form, res) => controller.renderConsent(res, flowOf(req), 422))
  async decide(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentFlow() flow: ConsentFlow,
    @Body() form: ConsentDecisionForm,
  ): Promise<void> {
    const outcome = form.decision === 'accept' ? await this.consent.accept(flow, clientIp(req)) : await this.consent.decline(flow);
    await this.afterDecision(req, res, outcome);
  }

  @Get('connect')
  @FlowAt('consented')
  connectPage(@Res() res: Response, @CurrentFlow() flow: ConsentFlow): void {
    allowFormTargets(res, this.config.omron.websiteUrl);
    consentPage(res, 'connect', this.view(flow, { title: 'consent.connect.title' }));
  }

  /** OMRON sends the browser back here with `code` and `state` (or `error`). */
  @Get('callback')
  async callback(@Req() req: Request, @Res() res: Response): Promise<void> {
    // A language switch on the pages below must not replay this callback.
    res.locals.currentPath = '/consent/me';
    const flow = await this.flows.current(req);
    // Without this browser's flow there is nothing the callback could belong to: refused, no token request.
    if (!flow) return consentError(res, 'consent_error.flow_missing', 400);
    const query = req.query as Record<string, unknown>;
    if (query.error !== undefined) return this.upstreamRefused(res, flow, query);
    if (typeof query.code !== 'string' || !query.code) return consentError(res, 'consent_error.callback', 400);
    const outcome = await this.omron.complete(req, res, flow);
    if (outcome.kind === 'refused') {
      this.logger.warn({ ip: clientIp(req) }, 'OAuth callback with a missing, mismatched or used state refused');
      return consentError(res, 'consent_error.state', 403);
    }
    if (outcome.kind === 'error') {
      this.logger.error({ err: outcome.error }, 'OMRON sign-in could not be completed');
      await this.flows.end(flow.id);
      this.flows.clearCookie(res);
      return consentError(res, 'consent_error.upstream', 502);
    }
    await this.afterAuthorised(req, res, flow, await this.consent.authorised(flow, outcome.tokens, clientIp(req)));
  }

  /** The platform's own landing page, for groups without a registered redirect URL. */
  @Get('result')
  result(@Res() res: Response, @Query('ogsc_id') ogscId?: unknown, @Query('error') error?: unknown): void {
    consentPage(res, 'result', {
      title: 'consent.result.title',
      ogscId: typeof ogscId === 'string' && looksLikeOgscId(ogscId) ? ogscId : null,
      denied: error === 'access_denied',
      partnerName: this.config.environment.partnerName,
    });
  }

  @Post('language')
  // A language the switch does not offer changes nothing: back to the page.
  @OnInvalidForm((_controller, _req, form, res) => res.redirect(303, safeConsentPath(form.values.returnTo)))
  language(@Res() res: Response, @Body() form: LanguageForm): void {
    this.portalCookies.setLanguage(res, form.lang);
    res.redirect(303, safeConsentPath(form.returnTo));
  }

  private async upstreamRefused(res: Response, flow: ConsentFlow, query: Record<string, unknown>): Promise<void> {
    // The state proves the answer belongs to this browser's request; without it nothing happens.
    if (!(await this.flows.consumeState(flow.id, query.state))) return consentError(res, 'consent_error.state', 403);
    await this.flows.end(flow.id);
    this.flows.clearCookie(res);
    const denied = query.error === 'access_denied';
    if (query.error === 'invalid_scope' && flow.group) {
      // The group's data types are not what OMRON lets this application ask for: the group's page shows an alert.
      await this.flows.noteScopeRefused(flow.group.id);
      this.logger.warn({ groupId: flow.group.groupId }, 'OMRON refused the scopes of a consent link (invalid_scope)');
      return consentError(res, 'consent_error.invalid_scope', 502);
    }
    if (flow.purpose !== 'consent') return res.redirect(303, `/consent/me?notice=${denied ? 'cancelled' : 'omron_failed'}`);
    if (!denied) return consentError(res, 'consent_error.upstream', 502);
    const location = redirectWith(flow.redirectUrl!, { error: 'access_denied' }, flow.callerState);
    consentPage(res, 'denied', {
      title: 'consent.denied.title',
      group: flow.group,
      location,
      refresh: `${DENIED_REDIRECT_SECONDS};url=${location}`,
      seconds: DENIED_REDIRECT_SECONDS,
    });
  }

  private async afterAuthorised(req: Request, res: Response, flow: ConsentFlow, outcome: AuthorisedOutcome): Promise<void> {
    switch (outcome.kind) {
      case 'consent_screen':
        return res.redirect(303, '/consent/consent');
      case 'finished':
        return this.leave(req, res, outcome.location, outcome.participantId);
      case 'reconnected':
        return this.leave(req, res, '/consent/me?notice=reconnected', outcome.participantId);
      case 'signed_in':
        return this.leave(req, res, '/consent/me', outcome.participantId);
      case 'stale':
        return this.resume(req, res);
    }
    this.flows.clearCookie(res);
    if (outcome.kind === 'conflict') {
      return consentError(res, `consent_error.conflict_${outcome.reason}`, 409, { partner: this.config.environment.partnerName });
    }
    if (outcome.kind === 'unknown_participant') return consentError(res, 'consent_error.unknown_participant', 403);
    this.logger.warn({ purpose: flow.purpose }, 'OMRON id_token refused');
    consentError(res, 'consent_error.id_token', 502);
  }

  private async afterDecision(req: Request, res: Response, outcome: DecisionOutcome): Promise<void> {
    if (outcome.kind === 'finished') return this.leave(req, res, outcome.location, outcome.participantId);
    if (outcome.kind === 'declined') {
      this.flows.clearCookie(res);
      return res.redirect(303, outcome.location);
    }
    if (outcome.kind === 'connect') return res.redirect(303, '/consent/connect');
    return this.resume(req, res);
  }

  /** The flow is over: the participant is signed in to their page and goes on to `location`. */
  private async leave(req: Request, res: Response, location: string, participantId: string): Promise<void> {
    await this.sessions.start(res, participantId, req);
    this.flows.clearCookie(res);
    res.redirect(303, location);
  }

  /** Back to wherever this browser's flow stands now (after a double click or a second tab). */
  private async resume(req: Request, res: Response): Promise<void> {
    const flow = await this.flows.current(req);
    if (!flow || flow.purpose !== 'consent') return consentError(res, 'consent_error.flow_missing', 400);
    res.redirect(303, stepOf(flow));
  }

  private view(flow: ConsentFlow, data: Record<string, unknown>): Record<string, unknown> {
    return { group: flow.group, partnerName: this.config.environment.partnerName, ...data };
  }

  private renderSignIn(res: Response, flow: ConsentFlow, data: Record<string, unknown>, status = 200): void {
    allowFormTargets(res, this.config.omron.websiteUrl);
    // backUrl '' (display_back:1 with an empty back_url): the header without a back icon.
    const back = { backHeader: flow.backUrl !== null, backUrl: flow.backUrl || null };
    consentPage(res, 'sign-in', this.view(flow, { title: 'consent.sign_in.title', ...back, values: {}, ...data }), status);
  }

  private renderConsent(res: Response, flow: ConsentFlow, status = 200): void {
    // Accept and Decline answer with a redirect to the partner's registered URL.
    allowFormTargets(res, flow.redirectUrl);
    consentPage(
      res,
      'consent',
      this.view(flow, {
        title: 'consent.screen.title',
        scopes: dataScopesOf(flow.scopes),
        omronConnected: flow.stage === 'authorised',
      }),
      status,
    );
  }
}
