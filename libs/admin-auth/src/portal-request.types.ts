import type { Request } from 'express';
import type { Language } from '@opendsp/config';
import type { AdminRole } from './admin-account.entity.js';

/** The signed-in admin as the request sees it (plain data, loaded once per request). */
export interface PortalUser {
  id: string;
  loginId: string;
  displayName: string;
  role: AdminRole;
}

/** What the session middleware attaches to every request. */
export interface PortalContext {
  /** Set only for a fully signed-in session. */
  user?: PortalUser;
  /** The session's token hash when a session (of any stage) is present. */
  sessionTokenHash?: string;
  /** The admin waiting for their second factor, when the session is at that stage. */
  pendingAdminId?: string;
  lang: Language;
  csrfToken: string;
  /** The client address (after trusted-proxy resolution). */
  ip: string | null;
}

export type PortalRequest = Request & { portal: PortalContext };

/** The audit actor of a request. */
export function actorOf(req: PortalRequest): { adminId: string | null; login: string | null; ip: string | null } {
  return { adminId: req.portal.user?.id ?? null, login: req.portal.user?.loginId ?? null, ip: req.portal.ip };
}
