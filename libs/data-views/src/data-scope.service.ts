import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { PortalUser } from '@opendsp/admin-auth';
import { GroupLookups, GroupsService, ProgramGroup, type GroupLabel } from '@opendsp/groups';
import type { SyncScope } from '@opendsp/sync';

/**
 * Which groups' participants a portal user may see: partner admins and viewers every group (`null`),
 * group admins only theirs. Every data view narrows its rows with this, so a group admin meets other
 * groups' participants nowhere (their pages answer 404).
 */
@Injectable()
export class DataScope {
  /** The groups room's lookups: stateless, so this service keeps its own (as DashboardSnapshots does). */
  private readonly lookups = new GroupLookups();

  constructor(
    private readonly groups: GroupsService,
    private readonly em: EntityManager,
  ) {}

  async of(em: EntityManager, user: PortalUser): Promise<SyncScope> {
    return { groupIds: user.role === 'group-admin' ? await this.groups.groupIdsOf(em, user.id) : null };
  }

  /** The group filter's choices: the user's groups (a partner admin: up to 500 by name), plus the chosen one (404 if not theirs). */
  async groupChoices(user: PortalUser, chosen: string | undefined): Promise<{ value: string; label: string; selected: boolean }[]> {
    const em = this.em.fork();
    const { groupIds } = await this.of(em, user);
    const groups = await em.find(ProgramGroup, groupIds === null ? {} : { id: { $in: groupIds } }, {
      orderBy: { displayName: 'asc' },
      limit: 500,
    });
    if (chosen && !groups.some((group) => group.groupId === chosen)) groups.unshift(await this.groups.visibleGroup(em, user, chosen));
    return groups.map((group) => ({ value: group.groupId, label: group.displayName, selected: group.groupId === chosen }));
  }

  /** A group the user may see (404 otherwise). */
  visibleGroup(user: PortalUser, groupId: string): Promise<ProgramGroup> {
    return this.groups.visibleGroup(this.em.fork(), user, groupId);
  }

  /**
   * The scope's active groups by name: plain rows from the groups room's lookups, in one statement (no entities to
   * build on every dashboard view). The dashboard counts them, offers the first 500 as choices and hands them to its
   * snapshot read, which then need not read them again.
   */
  activeGroups(scope: SyncScope): Promise<({ id: string } & GroupLabel)[]> {
    return this.lookups.activeByName(this.em.fork(), scope.groupIds);
  }

  /** The user's scope, read outside any transaction. */
  ofUser(user: PortalUser): Promise<SyncScope> {
    return this.of(this.em.fork(), user);
  }
}
