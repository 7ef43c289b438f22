import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Request, Response } from 'express';
import { hashToken, newSecretToken } from '@opendsp/admin-auth';
import { DspConfig } from '@opendsp/config';
import { Participant } from '@opendsp/participants';
import { ConsentCookies } from './consent-cookies.service.js';
import { ParticipantSession } from './participant-session.entity.js';

const TOUCH_INTERVAL_MS = 60_000;

/**
 * Sessions of the participant page, server-side like the portal's, with the portal's idle and absolute
 * timeouts (SESSION_IDLE_MINUTES, SESSION_ABSOLUTE_HOURS). A new token at every sign-in.
 */
@Injectable()
export class ParticipantSessions {
  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
    private readonly cookies: ConsentCookies,
  ) {}

  async start(res: Response, participantId: string, previous?: Request): Promise<void> {
    const em = this.em.fork();
    const old = previous && this.cookies.read(previous, this.cookies.participant);
    if (old) await em.nativeDelete(ParticipantSession, { tokenHash: hashToken(old) });
    const token = newSecretToken();
    const expiresAt = new Date(Date.now() + this.config.portal.sessionAbsoluteHours * 3_600_000);
    em.persist(new ParticipantSession(hashToken(token), em.getReference(Participant, participantId), expiresAt));
    await em.flush();
    this.cookies.set(res, this.cookies.participant, token);
  }

  /** The signed-in participant, or null (expired sessions are deleted on sight). */
  async participantOf(req: Request): Promise<Participant | null> {
    const token = this.cookies.read(req, this.cookies.participant);
    if (!token) return null;
    const em = this.em.fork();
    const session = await em.findOne(ParticipantSession, { tokenHash: hashToken(token) }, { populate: ['participant'] });
    if (!session) return null;
    const now = new Date();
    if (session.expiresAt <= now || now.getTime() - session.lastSeenAt.getTime() > this.config.portal.sessionIdleMinutes * 60_000) {
      await em.nativeDelete(ParticipantSession, { tokenHash: session.tokenHash });
      return null;
    }
    if (now.getTime() - session.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) {
      session.lastSeenAt = now;
      await em.flush();
    }
    return session.participant;
  }

  /** Ends every session of the participant in the caller's transaction (a password reset by an admin). */
  async endAll(em: EntityManager, participantId: string): Promise<void> {
    await em.nativeDelete(ParticipantSession, { participant: participantId });
  }

  async end(req: Request, res: Response): Promise<void> {
    const token = this.cookies.read(req, this.cookies.participant);
    if (token) await this.em.fork().nativeDelete(ParticipantSession, { tokenHash: hashToken(token) });
    this.cookies.clear(res, this.cookies.participant);
  }
}
