import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { GroupAdminMembership } from './group-admin-membership.entity.js';

/** How a group is shown beside rows of another room: its public ID and its name. */
export interface GroupLabel {
  groupId: string;
  displayName: string;
}

/**
 * SQL for another room's statement that must stay one statement (a count on every portal page): the internal IDs
 * of the groups the admin in `adminParam` (a placeholder or column of type uuid) is assigned to.
 */
export function adminGroupIdsSql(adminParam: string): string {
  return `select m.group_id from group_admin_membership m where m.admin_id = ${adminParam}`;
}

/**
 * SQL for another room's statement: the public ID of the group in `groupColumn` (its internal ID), as a scalar
 * subquery on the primary key (the alerts a readings page raises, whose webhook events name the group).
 */
export function groupPublicIdSql(groupColumn: string): string {
  return `(select g.group_id from program_group g where g.id = ${groupColumn})`;
}

/** SQL for another room's statement: the display name of the group in `groupColumn`, like `groupPublicIdSql`. */
export function groupDisplayNameSql(groupColumn: string): string {
  return `(select g.display_name from program_group g where g.id = ${groupColumn})`;
}

/**
 * What other rooms ask of groups without SQL on `program_group`: the labels of the groups their rows name (the
 * participant lists) and a group's row lock. Stateless: each runs on the entity manager it is given, so a
 * caller's transaction covers it, and a service built by hand can make its own.
 */
@Injectable()
export class GroupLookups {
  /** Each group's label by internal ID; groups that do not exist are left out. One statement for a page's groups. */
  async labelsOf(em: EntityManager, groupUuids: readonly string[]): Promise<Map<string, GroupLabel>> {
    const ids = [...new Set(groupUuids)];
    if (ids.length === 0) return new Map();
    const rows = await em
      .getConnection()
      .execute<{ id: string; group_id: string; display_name: string }[]>(
        `select id, group_id, display_name from program_group where id in (?)`,
        [ids],
        'all',
        em.getTransactionContext(),
      );
    return new Map(rows.map((row) => [row.id, { groupId: row.group_id, displayName: row.display_name }]));
  }

  /** The internal IDs of every group, archived ones too. */
  async allIds(em: EntityManager): Promise<string[]> {
    const rows = await em.getConnection().execute<{ id: string }[]>(`select id from program_group`, [], 'all', em.getTransactionContext());
    return rows.map((row) => row.id);
  }

  /** The internal IDs of the active (not archived) groups among `scope` (null: among all). */
  async activeIds(em: EntityManager, scope: readonly string[] | null): Promise<string[]> {
    if (scope !== null && scope.length === 0) return [];
    const rows = await em.execute<{ id: string }[]>(
      `select id from program_group where archived_at is null${scope ? ' and id in (?)' : ''}`,
      scope ? [[...scope]] : [],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Every active group among `scope` (null: among all) by name then ID, each with its internal ID and its label: one
   * statement where a page needs the active IDs, their count and the first page by name (the dashboard).
   */
  async activeByName(em: EntityManager, scope: readonly string[] | null): Promise<({ id: string } & GroupLabel)[]> {
    if (scope !== null && scope.length === 0) return [];
    const rows = await em.execute<{ id: string; group_id: string; display_name: string }[]>(
      `select id, group_id, display_name from program_group where archived_at is null${scope ? ' and id in (?)' : ''} order by display_name, id`,
      scope ? [[...scope]] : [],
    );
    return rows.map((row) => ({ id: row.id, groupId: row.group_id, displayName: row.display_name }));
  }

  /**
   * One page of the active groups among `scope` (null: among all), by name then ID, after the keyset `after`:
   * at most `limit`, each with its internal ID and its label.
   */
  async activePage(
    em: EntityManager,
    scope: readonly string[] | null,
    page: { after?: { name: string; id: string }; limit: number },
  ): Promise<({ id: string } & GroupLabel)[]> {
    if (scope !== null && scope.length === 0) return [];
    const rows = await em.execute<{ id: string; group_id: string; display_name: string }[]>(
      `select id, group_id, display_name from program_group
        where archived_at is null${scope ? ' and id in (?)' : ''}${page.after ? ' and (display_name, id) > (?, ?::uuid)' : ''}
        order by display_name, id limit ?`,
      [...(scope ? [[...scope]] : []), ...(page.after ? [page.after.name, page.after.id] : []), page.limit],
    );
    return rows.map((row) => ({ id: row.id, groupId: row.group_id, displayName: row.display_name }));
  }

  /**
   * The group's admins to write to (group admins assigned to it whose accounts are not disabled): each one's
   * e-mail address and portal language (null: they follow DSP_LANGUAGE).
   */
  async adminRecipientsOf(em: EntityManager, groupUuid: string): Promise<{ email: string; language: string | null }[]> {
    const memberships = await em.find(GroupAdminMembership, { group: groupUuid }, { populate: ['admin'] });
    return memberships
      .filter((membership) => !membership.admin.disabledAt)
      .map((membership) => ({ email: membership.admin.email, language: membership.admin.language }));
  }

  /** Row-locks the group for the rest of `em`'s transaction: changes that must stay unique within a group take turns. */
  async lock(em: EntityManager, groupUuid: string): Promise<void> {
    await em.getConnection().execute(`select 1 from program_group where id = ? for update`, [groupUuid], 'all', em.getTransactionContext());
  }
}
