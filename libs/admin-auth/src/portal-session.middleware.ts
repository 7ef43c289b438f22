import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { DspConfig } from '@opendsp/config';
import { isLanguage } from '@opendsp/i18n';
import { CsrfTokens } from './csrf.helpers.js';
import { permissionsOf } from './permissions.catalogue.js';
import { PortalCookies } from './portal-cookies.helpers.js';
import type { PortalContext, PortalRequest } from './portal-request.types.js';
import { newSecretToken } from './secret-token.helpers.js';
import { SessionsService } from './sessions.service.js';

/**
 * Runs before every route: resolves the session cookie to the signed-in admin, picks the page language
 * (the admin's choice, else the language cookie, else DSP_LANGUAGE), computes the CSRF token forms must
 * send back, and puts what every page's layout needs into `res.locals`.
 */
@Injectable()
export class PortalSessionMiddleware implements NestMiddleware {
  constructor(
    private readonly sessions: SessionsService,
    private readonly config: DspConfig,
    private readonly cookies: PortalCookies,
    private readonly csrf: CsrfTokens,
  ) {}

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    const cookies = (req.cookies ?? {}) as Record<string, string | undefined>;
    const resolved = await this.sessions.resolve(cookies[this.cookies.session]);
    if (cookies[this.cookies.session] && !resolved) this.cookies.clearSession(res);

    let anonymous = cookies[this.cookies.csrf];
    if (!anonymous || !/^[A-Za-z0-9_-]{43}$/.test(anonymous)) {
      anonymous = newSecretToken();
      this.cookies.setCsrf(res, anonymous);
    }
    const binding = resolved ? `session:${resolved.session.tokenHash}` : `anonymous:${anonymous}`;
    const admin = resolved?.session.stage === 'signed-in' ? resolved.admin : undefined;
    const cookieLanguage = cookies[this.cookies.language];
    const lang = isLanguage(admin?.language)
      ? admin.language
      : isLanguage(cookieLanguage)
        ? cookieLanguage
        : this.config.environment.language;

    const portal: PortalContext = {
      user: admin ? { id: admin.id, loginId: admin.loginId, displayName: admin.displayName, role: admin.role } : undefined,
      sessionTokenHash: resolved?.session.tokenHash,
      pendingAdminId: resolved?.session.stage === 'second-factor' ? resolved.admin.id : undefined,
      lang,
      csrfToken: this.csrf.tokenFor(binding),
      ip: req.ip ?? null,
    };
    (req as PortalRequest).portal = portal;
    const { environment } = this.config;
    Object.assign(res.locals, {
      environment,
      countries: environment.countries.map((country) => country.name).join(', '),
      lang,
      timezone: environment.timezone,
      csrfToken: portal.csrfToken,
      currentUser: portal.user,
      can: portal.user ? permissionsOf(portal.user.role) : {},
      devOutbox: this.config.nodeEnv === 'development',
      // Where the language switch returns to: this page, unless it answers a form (which has no GET).
      currentPath: req.method === 'GET' ? req.originalUrl : '/',
    });
    next();
  }

  /** The binding a request's CSRF token must match (see CsrfTokens). */
  static bindingOf(req: PortalRequest, cookies: PortalCookies): string {
    return req.portal.sessionTokenHash
      ? `session:${req.portal.sessionTokenHash}`
      : `anonymous:${(req.cookies as Record<string, string | undefined>)?.[cookies.csrf] ?? ''}`;
  }
}
