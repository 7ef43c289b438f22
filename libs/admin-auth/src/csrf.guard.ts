import { Injectable, Logger, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CsrfTokens } from './csrf.helpers.js';
import { PortalCookies } from './portal-cookies.helpers.js';
import { CsrfRejectedException } from './portal.errors.js';
import type { PortalRequest } from './portal-request.types.js';
import { PortalSessionMiddleware } from './portal-session.middleware.js';

const SKIP_CSRF = 'opendsp:skip-csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** For controllers that do not use cookies at all (the REST API's bearer tokens): CSRF cannot apply. */
export const SkipCsrf = (): ClassDecorator & MethodDecorator => SetMetadata(SKIP_CSRF, true);

/**
 * Every state-changing request must carry the page's CSRF token (form field `_csrf` or header
 * `X-CSRF-Token`); without it the answer is 403 and nothing runs.
 */
@Injectable()
export class CsrfGuard implements CanActivate {
  private readonly logger = new Logger(CsrfGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly csrf: CsrfTokens,
    private readonly cookies: PortalCookies,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<PortalRequest>();
    if (SAFE_METHODS.has(req.method)) return true;
    if (this.reflector.getAllAndOverride<boolean>(SKIP_CSRF, [context.getHandler(), context.getClass()])) return true;
    const body = req.body as Record<string, unknown> | undefined;
    const token = body?._csrf ?? req.get('x-csrf-token');
    if (req.portal && this.csrf.verify(PortalSessionMiddleware.bindingOf(req, this.cookies), token)) return true;
    this.logger.warn({ ip: req.ip, path: req.path }, 'state-changing request without a valid CSRF token refused');
    throw new CsrfRejectedException();
  }
}
