import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import type { AdminAccount, AdminRole } from './admin-account.entity.js';
import { AdminSession, type SessionStage } from './admin-session.entity.js';
import { hashToken, newSecretToken } from './secret-token.helpers.js';

/** How long a half-finished sign-in waits for its second factor. */
const SECOND_FACTOR_MINUTES = 10;
/** Last-seen is written at most this often, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

/** A live session and its admin, as plain data: what every portal request needs, read in one statement. */
export interface ResolvedSession {
  session: { tokenHash: string; stage: SessionStage };
  admin: { id: string; loginId: string; displayName: string; role: AdminRole; language: string | null };
}

interface SessionRow {
  token_hash: string;
  stage: SessionStage;
  expires_at: Date | string;
  last_seen_at: Date | string;
  admin_id: string;
  login_id: string;
  display_name: string;
  role: AdminRole;
  language: string | null;
  disabled_at: Date | string | null;
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

  /**
   * The live session behind a cookie token, or null. Expired sessions and those of disabled admins are deleted on
   * sight. Read on every portal request, so it is one statement of plain rows (the session joined to its admin), no
   * entities, and nothing is kept between requests: a session ended or an admin disabled is refused at the next one.
   */
  async resolve(token: string | undefined, now = new Date()): Promise<ResolvedSession | null> {
    if (!token || token.length > 100) return null;
    const connection = this.em.getConnection();
    const [row] = await connection.execute<SessionRow[]>(
      `select s.token_hash, s.stage, s.expires_at, s.last_seen_at, a.id as admin_id, a.login_id, a.display_name, a.role, a.language, a.disabled_at
         from admin_session s join admin_account a on a.id = s.admin_id
        where s.token_hash = ?`,
      [hashToken(token)],
    );
    if (!row) return null;
    const idleMs = this.config.portal.sessionIdleMinutes * 60_000;
    const lastSeen = new Date(row.last_seen_at).getTime();
    if (new Date(row.expires_at) <= now || now.getTime() - lastSeen > idleMs || row.disabled_at !== null) {
      await connection.execute(`delete from admin_session where token_hash = ?`, [row.token_hash]);
      return null;
    }
    if (now.getTime() - lastSeen > TOUCH_INTERVAL_MS)
      await connection.execute(`update admin_session set last_seen_at = ? where token_hash = ?`, [now, row.token_hash]);
    return {
      session: { tokenHash: row.token_hash, stage: row.stage },
      admin: { id: row.admin_id, loginId: row.login_id, displayName: row.display_name, role: row.role, language: row.language },
    };
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
