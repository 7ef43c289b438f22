import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { AdminAccount } from './admin-account.entity.js';
import { AdminSession, type SessionStage } from './admin-session.entity.js';
import { hashToken, newSecretToken } from './secret-token.helpers.js';

/** How long a half-finished sign-in waits for its second factor. */
const SECOND_FACTOR_MINUTES = 10;
/** Last-seen is written at most this often, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

export interface ResolvedSession {
  session: AdminSession;
  admin: AdminAccount;
}

/** Server-side portal sessions in PostgreSQL, with idle and absolute timeouts. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
  ) {}

  /**
   * Starts a session in `em`'s unit of work and returns its cookie token. A new token every time: signing in
   * never keeps a session ID the browser had before (no session fixation).
   */
  start(em: EntityManager, admin: AdminAccount, stage: SessionStage, ip: string | null, now = new Date()): string {
    const token = newSecretToken();
    const lifetimeMs = stage === 'signed-in' ? this.config.portal.sessionAbsoluteHours * 3_600_000 : SECOND_FACTOR_MINUTES * 60_000;
    const session = new AdminSession(hashToken(token), admin, stage, new Date(now.getTime() + lifetimeMs));
    session.createdAt = now;
    session.lastSeenAt = now;
    session.ip = ip;
    em.persist(session);
    return token;
  }

  /** The live session behind a cookie token, or null. Expired sessions and those of disabled admins are deleted on sight. */
  async resolve(token: string | undefined, now = new Date()): Promise<ResolvedSession | null> {
    if (!token || token.length > 100) return null;
    const em = this.em.fork();
    const session = await em.findOne(AdminSession, { tokenHash: hashToken(token) }, { populate: ['admin'] });
    if (!session) return null;
    const idleMs = this.config.portal.sessionIdleMinutes * 60_000;
    if (session.expiresAt <= now || now.getTime() - session.lastSeenAt.getTime() > idleMs || session.admin.disabledAt) {
      await em.nativeDelete(AdminSession, { tokenHash: session.tokenHash });
      return null;
    }
    if (now.getTime() - session.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) {
      session.lastSeenAt = now;
      await em.flush();
    }
    return { session, admin: session.admin };
  }

  /** Ends one session (sign-out). */
  async end(tokenHash: string): Promise<void> {
    await this.em.fork().nativeDelete(AdminSession, { tokenHash });
  }

  /** Ends every session of an admin (disabled, password reset), in `em`'s transaction. */
  async endAllOf(em: EntityManager, adminId: string): Promise<void> {
    await em.nativeDelete(AdminSession, { admin: adminId });
  }
}
