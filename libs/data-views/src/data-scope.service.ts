import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PortalUser } from '@opendsp/admin-auth';
import { GroupsService } from '@opendsp/groups';
import type { SyncScope } from '@opendsp/sync';

/**
 * Which groups' participants a portal user may see: partner admins and viewers every group (`null`),
 * group admins only theirs. Every data view narrows its rows with this, so a group admin meets other
 * groups' participants nowhere (their pages answer 404).
 */
@Injectable()
export class DataScope {
  constructor(private readonly groups: GroupsService) {}

  async of(em: EntityManager, user: PortalUser): Promise<SyncScope> {
    return { groupIds: user.role === 'group-admin' ? await this.groups.groupIdsOf(em, user.id) : null };
  }
}
