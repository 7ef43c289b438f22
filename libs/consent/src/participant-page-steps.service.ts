import { Injectable, NotFoundException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { EnrollmentNotFoundError, WithdrawalService, type Enrollment } from '@opendsp/participants';
import { ConsentFlows } from './consent-flows.service.js';
import { clientIp } from './consent-pages.helpers.js';
import { SIGN_IN_SCOPES } from './consent-scopes.rules.js';
import { OmronSignIn } from './omron-sign-in.service.js';
import { ParticipantPageService, type ParticipantOverview } from './participant-page.service.js';
import { ParticipantSessions } from './participant-sessions.service.js';
import { ParticipantSignInService } from './participant-sign-in.service.js';

/** Nobody is signed in to the participant page in this browser. */
export const SIGNED_OUT = 'signed_out';

/**
 * What the participant's own page (`/consent/me`) does, one call per request: who is signed in, then what to
 * show or which flow to start. Every step that needs a participant answers `SIGNED_OUT` without one.
 */
@Injectable()
export class ParticipantPageSteps {
  constructor(
    private readonly sessions: ParticipantSessions,
    private readonly pages: ParticipantPageService,
    private readonly signIns: ParticipantSignInService,
    private readonly flows: ConsentFlows,
    private readonly omron: OmronSignIn,
    private readonly withdrawals: WithdrawalService,
  ) {}

  /** The signed-in participant's overview; null: nobody is signed in (the sign-in page is shown). */
  async overview(req: Request): Promise<ParticipantOverview | null> {
    const participant = await this.sessions.participantOf(req);
    return participant ? this.pages.overview(participant) : null;
  }

  /** Signs in with a pre-created login ID; a generated password must first be changed on the group's link. */
  async signIn(
    req: Request,
    res: Response,
    loginId: string,
    password: string,
  ): Promise<'signed_in' | 'failed' | 'expired' | 'first_sign_in'> {
    const result = await this.signIns.signIn(loginId, password, clientIp(req));
    if (result.kind !== 'signed-in') return result.kind;
    if (result.participant.mustChangePassword) return 'first_sign_in';
    await this.sessions.start(res, result.participant.id, req);
    return 'signed_in';
  }

  /** "Sign in with OMRON connect": a sign-in flow, and the browser sent to OMRON. */
  async signInWithOmron(req: Request, res: Response): Promise<void> {
    const flow = await this.flows.start(res, { purpose: 'sign_in', scopes: SIGN_IN_SCOPES });
    await this.omron.begin(req, res, flow);
  }

  /** Authorise OMRON again with the consented groups' scopes: a reconnect flow, and the browser sent to OMRON. */
  async reconnect(req: Request, res: Response): Promise<typeof SIGNED_OUT | 'started'> {
    const participant = await this.sessions.participantOf(req);
    if (!participant) return SIGNED_OUT;
    const scopes = await this.pages.reconnectScopes(participant.id);
    const flow = await this.flows.start(res, { purpose: 'reconnect', scopes, participantId: participant.id });
    await this.omron.begin(req, res, flow);
    return 'started';
  }

  /** The signed-in participant's consented enrollment they may withdraw from (404 for any other ID). */
  async withdrawable(req: Request, enrollmentId: string): Promise<typeof SIGNED_OUT | Enrollment> {
    const participant = await this.sessions.participantOf(req);
    if (!participant) return SIGNED_OUT;
    const enrollment = await this.pages.withdrawable(participant.id, enrollmentId);
    if (!enrollment) throw new NotFoundException();
    return enrollment;
  }

  /** The signed-in participant withdraws from one of their groups (404 for an enrollment that is not theirs). */
  async withdraw(req: Request, enrollmentId: string): Promise<typeof SIGNED_OUT | 'withdrawn'> {
    const participant = await this.sessions.participantOf(req);
    if (!participant) return SIGNED_OUT;
    try {
      await this.withdrawals.withdraw(enrollmentId, { kind: 'participant', participantId: participant.id, ip: clientIp(req) });
    } catch (error) {
      if (error instanceof EnrollmentNotFoundError) throw new NotFoundException();
      throw error;
    }
    return 'withdrawn';
  }
}
