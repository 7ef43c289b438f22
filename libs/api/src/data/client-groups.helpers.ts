import type { ApiPrincipal } from '../auth/api-principal.types.js';
import type { SqlFragment } from './api-sql.helpers.js';

/** The condition "this group is one the client may see" on a group ID column. */
export function clientGroupsSql(principal: ApiPrincipal, column = 'e.group_id'): SqlFragment {
  if (principal.allGroups) return { sql: 'true', params: [] };
  if (principal.groupIds.length === 0) return { sql: 'false', params: [] };
  return { sql: `${column} in (?)`, params: [principal.groupIds] };
}

/** Whether the client may see the group with this internal ID. */
export function clientSeesGroup(principal: ApiPrincipal, groupUuid: string): boolean {
  return principal.allGroups || principal.groupIds.includes(groupUuid);
}
