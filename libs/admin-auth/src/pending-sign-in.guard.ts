import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { SignInRequiredException } from './portal.errors.js';
import type { PortalRequest } from './portal-request.types.js';

/**
 * The second factor's form belongs to a sign-in waiting for it. Without one the visitor goes back to the
 * sign-in page (the portal's error filter redirects), before the form is looked at: a guard runs before pipes.
 */
@Injectable()
export class PendingSignInGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const { pendingAdminId, sessionTokenHash } = context.switchToHttp().getRequest<PortalRequest>().portal;
    if (!pendingAdminId || !sessionTokenHash) throw new SignInRequiredException();
    return true;
  }
}
