import { Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DspConfig } from '@opendsp/config';
import type { FieldErrors } from '@opendsp/i18n';
import type { ConsentFlow, ConsentFlowStage } from './consent-flow.entity.js';
import { ConsentFlows } from './consent-flows.service.js';
import { ConsentLinkService, redirectWith } from './consent-link.service.js';
import { clientIp, stepOf } from './consent-pages.helpers.js';
import { consentScopes } from './consent-scopes.rules.js';
import { ConsentService, type AuthorisedOutcome, type DecisionOutcome } from './consent.service.js';
import type { ConsentStartQuery } from './dto/consent-start-query.dto.js';
import { LinkOpens } from './link-opens.service.js';
import { OmronSignIn } from './omron-sign-in.service.js';
import { ParticipantSessions } from './participant-sessions.service.js';
import { ParticipantSignInService } from './participant-sign-in.service.js';

/** Seconds the "you declined at OMRON" page waits before sending the browser back to the partner. */
const DENIED_REDIRECT_SECONDS = 5;

/** What a step of the flow answers the browser: a redirect, the participant's error page, or the "declined at OMRON" page. */
export type StepAnswer =
  | { kind: 'redirect'; location: string }
  | { kind: 'error'; message: string; status: number; params?: Record<string, string> }
  | { kind: 'denied'; view: Record<string, unknown> };

/** A sign-in with a pre-created login ID: refused (the page shows why), or where the flow goes on. */
export type SignInStep = { kind: 'refused'; reason: 'failed' | 'expired' } | StepAnswer;

/** A new password: refused with field errors, or where the flow goes on. */
export type PasswordStep = { kind: 'invalid'; errors: FieldErrors } | StepAnswer;

const redirect = (location: string): StepAnswer => ({ kind: 'redirect', location });
const error = (message: string, status: number, params?: Record<string, string>): StepAnswer => ({
  kind: 'error',
  message,
  status,
  params,
});

/**
 * The consent flow's steps, each one call for its handler: opening a consent link, signing in with a login ID,
 * the new password, the decision, and OMRON's callback. Each step moves the flow, notes what the funnel needs,
 * signs the participant in to their page when the flow ends, and sets or clears the browser's flow cookie; the
 * controller only shows the answer.
 */
@Injectable()
export class ConsentSteps {
  private readonly logger = new Logger(ConsentSteps.name);

  constructor(
    private readonly links: ConsentLinkService,
    private readonly flows: ConsentFlows,
    private readonly linkOpens: LinkOpens,
    private readonly signIns: ParticipantSignInService,
    private readonly consent: ConsentService,
    private readonly sessions: ParticipantSessions,
    private readonly omron: OmronSignIn,
    private readonly config: DspConfig,
  ) {}

  /** A consent link opened: checked, a flow started for this browser, the opening counted; then the sign-in page. */
  async open(res: Response, query: ConsentStartQuery): Promise<StepAnswer> {
    const check = await this.links.check(query);
    if (!check.ok) return error(check.problem, 400, check.params);
    const scopes = consentScopes(this.config.environment.region.id, check.link.group.dataTypes);
    await this.flows.start(res, { purpose: 'consent', scopes, link: check.link });
    await this.linkOpens.count(check.link.group);
    return redirect('/consent/sign-in');
  }

  /** A pre-created participant signs in on the group's link: the flow moves on and the funnel notes the link opened. */
  async signIn(req: Request, flow: ConsentFlow, loginId: string, password: string): Promise<SignInStep> {
    const result = await this.signIns.signIn(loginId, password, clientIp(req));
    if (result.kind !== 'signed-in') return { kind: 'refused', reason: result.kind };
    const { participant } = result;
    const next: ConsentFlowStage = participant.mustChangePassword ? 'signed_in' : 'ready';
    if (!(await this.flows.advance(flow.id, 'started', { stage: next, participantId: participant.id }))) return this.resume(req);
    await this.consent.markLinkOpened({ participantId: participant.id }, flow.group!.id, new Date());
    return redirect(next === 'signed_in' ? '/consent/password' : '/consent/consent');
  }

  /** The first sign-in's new password; then the consent screen. */
  async setPassword(req: Request, flow: ConsentFlow, password: string, confirmation: string): Promise<PasswordStep> {
    const outcome = await this.signIns.setPassword(flow.participant!.id, password, confirmation, clientIp(req));
    if (!outcome.ok) return { kind: 'invalid', errors: outcome.errors };
    if (!(await this.flows.advance(flow.id, 'signed_in', { stage: 'ready' }))) return this.resume(req);
    return redirect('/consent/consent');
  }

  /** Accept or decline on the consent screen. */
  async decide(req: Request, res: Response, flow: ConsentFlow, decision: 'accept' | 'decline'): Promise<StepAnswer> {
    const outcome: DecisionOutcome =
      decision === 'accept' ? await this.consent.accept(flow, clientIp(req)) : await this.consent.decline(flow);
    if (outcome.kind === 'finished') return this.leave(req, res, outcome.location, outcome.participantId);
    if (outcome.kind === 'declined') {
      this.flows.clearCookie(res);
      return redirect(outcome.location);
    }
    if (outcome.kind === 'connect') return redirect('/consent/connect');
    return this.resume(req);
  }

  /** OMRON sends the browser back with `code` and `state` (or `error`): the state checked, the code exchanged, the flow moved on. */
  async callback(req: Request, res: Response): Promise<StepAnswer> {
    const flow = await this.flows.current(req);
    // Without this browser's flow there is nothing the callback could belong to: refused, no token request.
    if (!flow) return error('consent_error.flow_missing', 400);
    const query = req.query as Record<string, unknown>;
    if (query.error !== undefined) return this.upstreamRefused(res, flow, query);
    if (typeof query.code !== 'string' || !query.code) return error('consent_error.callback', 400);
    const outcome = await this.omron.complete(req, res, flow);
    if (outcome.kind === 'refused') {
      this.logger.warn({ ip: clientIp(req) }, 'OAuth callback with a missing, mismatched or used state refused');
      return error('consent_error.state', 403);
    }
    if (outcome.kind === 'error') {
      this.logger.error({ err: outcome.error }, 'OMRON sign-in could not be completed');
      await this.flows.end(flow.id);
      this.flows.clearCookie(res);
      return error('consent_error.upstream', 502);
    }
    return this.afterAuthorised(req, res, flow, await this.consent.authorised(flow, outcome.tokens, clientIp(req)));
  }

  private async upstreamRefused(res: Response, flow: ConsentFlow, query: Record<string, unknown>): Promise<StepAnswer> {
    // The state proves the answer belongs to this browser's request; without it nothing happens.
    if (!(await this.flows.consumeState(flow.id, query.state))) return error('consent_error.state', 403);
    await this.flows.end(flow.id);
    this.flows.clearCookie(res);
    const denied = query.error === 'access_denied';
    if (query.error === 'invalid_scope' && flow.group) {
      // The group's data types are not what OMRON lets this application ask for: the group's page shows an alert.
      await this.flows.noteScopeRefused(flow.group.id);
      this.logger.warn({ groupId: flow.group.groupId }, 'OMRON refused the scopes of a consent link (invalid_scope)');
      return error('consent_error.invalid_scope', 502);
    }
    if (flow.purpose !== 'consent') return redirect(`/consent/me?notice=${denied ? 'cancelled' : 'omron_failed'}`);
    if (!denied) return error('consent_error.upstream', 502);
    const location = redirectWith(flow.redirectUrl!, { error: 'access_denied' }, flow.callerState);
    return {
      kind: 'denied',
      view: {
        title: 'consent.denied.title',
        group: flow.group,
        location,
        refresh: `${DENIED_REDIRECT_SECONDS};url=${location}`,
        seconds: DENIED_REDIRECT_SECONDS,
      },
    };
  }

  private async afterAuthorised(req: Request, res: Response, flow: ConsentFlow, outcome: AuthorisedOutcome): Promise<StepAnswer> {
    switch (outcome.kind) {
      case 'consent_screen':
        return redirect('/consent/consent');
      case 'finished':
        return this.leave(req, res, outcome.location, outcome.participantId);
      case 'reconnected':
        return this.leave(req, res, '/consent/me?notice=reconnected', outcome.participantId);
      case 'signed_in':
        return this.leave(req, res, '/consent/me', outcome.participantId);
      case 'stale':
        return this.resume(req);
    }
    this.flows.clearCookie(res);
    if (outcome.kind === 'conflict') {
      return error(`consent_error.conflict_${outcome.reason}`, 409, { partner: this.config.environment.partnerName });
    }
    if (outcome.kind === 'unknown_participant') return error('consent_error.unknown_participant', 403);
    this.logger.warn({ purpose: flow.purpose }, 'OMRON id_token refused');
    return error('consent_error.id_token', 502);
  }

  /** The flow is over: the participant is signed in to their page and goes on to `location`. */
  private async leave(req: Request, res: Response, location: string, participantId: string): Promise<StepAnswer> {
    await this.sessions.start(res, participantId, req);
    this.flows.clearCookie(res);
    return redirect(location);
  }

  /** Back to wherever this browser's flow stands now (after a double click or a second tab). */
  async resume(req: Request): Promise<StepAnswer> {
    const flow = await this.flows.current(req);
    if (!flow || flow.purpose !== 'consent') return error('consent_error.flow_missing', 400);
    return redirect(stepOf(flow));
  }
}
