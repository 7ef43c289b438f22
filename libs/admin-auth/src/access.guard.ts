import { ForbiddenException, Injectable, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ACCESS, PORTAL_CONTROLLER, PUBLIC_ACCESS } from './access.decorator.js';
import { roleHas, type Permission } from './permissions.catalogue.js';
import { SignInRequiredException } from './portal.errors.js';
import type { PortalRequest } from './portal-request.types.js';

/**
 * Enforces `@Access` on portal controllers: no admin → sign in; a role without the permission → 403.
 * Controllers that are not portal controllers (health probes, the REST API) bring their own checks.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly logger = new Logger(AccessGuard.name);

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    if (!this.reflector.get<boolean>(PORTAL_CONTROLLER, context.getClass())) return true;
    const access = this.reflector.get<Permission | typeof PUBLIC_ACCESS | undefined>(ACCESS, context.getHandler());
    if (!access) {
      this.logger.error({ handler: `${context.getClass().name}.${context.getHandler().name}` }, 'portal handler without @Access refused');
      throw new ForbiddenException();
    }
    if (access === PUBLIC_ACCESS) return true;
    const user = context.switchToHttp().getRequest<PortalRequest>().portal?.user;
    if (!user) throw new SignInRequiredException();
    if (!roleHas(user.role, access)) throw new ForbiddenException();
    return true;
  }
}
