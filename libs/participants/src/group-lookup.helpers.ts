import { NotFoundException } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { GroupLookups, ProgramGroup } from '@opendsp/groups';

const GROUP_ID_PATTERN = /^[0-9A-Z]{12}$/;

/** Stateless (the groups room's service), so these helpers share one. */
const groupLookups = new GroupLookups();

/**
 * The group with this public group ID, or 404. Who may act on it is the caller's check (the portal's
 * GroupVisibleGuard, the API's client scope); the services here take a group the caller may use.
 */
export async function groupById(em: EntityManager, groupId: string): Promise<ProgramGroup> {
  const group = GROUP_ID_PATTERN.test(groupId) ? await em.findOne(ProgramGroup, { groupId }) : null;
  if (!group) throw new NotFoundException();
  return group;
}

/** Row-locks the group for the rest of `em`'s transaction: changes that must stay unique within a group take turns. */
export async function lockGroup(em: EntityManager, group: ProgramGroup): Promise<void> {
  await groupLookups.lock(em, group.id);
}
