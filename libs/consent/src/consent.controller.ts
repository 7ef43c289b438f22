import { Body, Controller, Get, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { LanguageForm, NewPasswordForm, OnInvalidForm, PortalCookies, SignInForm } from '@opendsp/admin-auth';
import { DspConfig } from '@opendsp/config';
import { looksLikeOgscId } from '@opendsp/participants';
import { ConsentExceptionFilter } from './consent-exception.filter.js';
import type { ConsentFlow } from './consent-flow.entity.js';
import { CurrentFlow, FlowAt, flowOf } from './consent-flow.guard.js';
import { allowFormTargets, consentError, consentPage, safeConsentPath } from './consent-pages.helpers.js';
import { dataScopesOf } from './consent-scopes.rules.js';
import { ConsentSteps, type StepAnswer } from './consent-steps.service.js';
import { ConsentDecisionForm } from './dto/consent-forms.dto.js';
import { ConsentStartQuery } from './dto/consent-start-query.dto.js';
import { OmronSignIn } from './omron-sign-in.service.js';

/**
 * The participant's way through a consent link (DSP onboarding document, sections 2–4): the link, the
 * sign-in page (OMRON connect, or a pre-created login ID), the forced new password, the consent screen,
 * connecting OMRON, and the OAuth callback. Open to every address (participants are not in the portal's
 * allowlist); every form carries the CSRF token; the flow lives on the server, bound to the browser. Each step
 * is one call to ConsentSteps; this controller shows its answer.
 */
@Controller('consent')
@UseFilters(ConsentExceptionFilter)
export class ConsentController {
  constructor(
    private readonly steps: ConsentSteps,
    private readonly omron: OmronSignIn,
    private readonly portalCookies: PortalCookies,
    private readonly config: DspConfig,
  ) {}

  @Get('start')
  async start(@Res() res: Response, @Query() query: ConsentStartQuery): Promise<void> {
    answer(res, await this.steps.open(res, query));
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
    const step = await this.steps.signIn(req, flow, form.loginId, form.password);
    if (step.kind === 'refused') return this.renderSignIn(res, flow, { [step.reason]: true, values: { loginId: form.loginId } }, 401);
    answer(res, step);
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
    const step = await this.steps.setPassword(req, flow, form.password, form.confirmation);
    if (step.kind === 'invalid')
      return consentPage(res, 'password', this.view(flow, { title: 'consent.password.title', errors: step.errors }), 422);
    answer(res, step);
  }

  /** "Sign in with OMRON connect" on the sign-in page, or "Connect your OMRON account" after a pre-created consent. */
  @Post('omron')
  @FlowAt('started', 'consented')
  async omronSignIn(@Req() req: Request, @Res() res: Response, @CurrentFlow() flow: ConsentFlow): Promise<void> {
    // The OMRON button of the sign-in page is for visitors who have not signed in with a login ID.
    if (flow.stage === 'started' && flow.participant) return answer(res, await this.steps.resume(req));
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
    answer(res, await this.steps.decide(req, res, flow, form.decision));
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
    answer(res, await this.steps.callback(req, res));
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

/** Shows a step's answer: a 303 redirect, the participant's error page, or the "declined at OMRON" page. */
function answer(res: Response, step: StepAnswer): void {
  if (step.kind === 'redirect') return res.redirect(303, step.location);
  if (step.kind === 'error') return consentError(res, step.message, step.status, step.params);
  consentPage(res, 'denied', step.view);
}
