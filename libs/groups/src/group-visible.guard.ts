import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { PortalRequest } from '@opendsp/admin-auth';
import { GroupsService } from './groups.service.js';

/**
 * For portal routes under `/groups/:groupId/…` in any room: the signed-in admin must be able to see the group (a
 * group admin only their own), else 404 as if it did not exist, before a query or form is looked at. Runs after
 * the access guard, so there is a user. A room that uses it lists it among its module's providers.
 */
@Injectable()
export class GroupVisibleGuard implements CanActivate {
  constructor(
    private readonly groups: GroupsService,
    private readonly em: EntityManager,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<PortalRequest>();
    await this.groups.visibleGroup(this.em.fork(), req.portal.user!, String(req.params.groupId ?? ''));
    return true;
  }
}
