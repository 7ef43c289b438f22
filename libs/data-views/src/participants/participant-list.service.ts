import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { PortalUser } from '@opendsp/admin-auth';
import { GroupsService } from '@opendsp/groups';
import { ParticipantListQuery, type ParticipantListCriteria, type ParticipantListRow } from '@opendsp/participants';
import { DataScope } from '../data-scope.service.js';
import type { ParticipantFilters } from './dto/participant-filters.dto.js';

/**
 * The cross-group participant list: the user's groups (or the one chosen) through libs/participants' list
 * query, with prefix search, filters and four orders.
 */
@Injectable()
export class ParticipantList {
  constructor(
    private readonly em: EntityManager,
    private readonly groups: GroupsService,
    private readonly scope: DataScope,
    private readonly query: ParticipantListQuery,
  ) {}

  async page(user: PortalUser, filters: ParticipantFilters, limit = 50): Promise<{ rows: ParticipantListRow[]; nextAfter: string | null }> {
    const em = this.em.fork();
    return this.query.page(em, await this.criteria(em, user, filters, limit));
  }

  /** The plan of the statement the page runs for these filters (`EXPLAIN`, optionally `ANALYZE`), for tests and the bench. */
  async explain(user: PortalUser, filters: ParticipantFilters, options: { analyze?: boolean } = {}): Promise<string> {
    const em = this.em.fork();
    return this.query.explain(em, await this.criteria(em, user, filters, 50), options);
  }

  private async criteria(
    em: EntityManager,
    user: PortalUser,
    filters: ParticipantFilters,
    limit: number,
  ): Promise<ParticipantListCriteria> {
    // 404 for a chosen group that does not exist or is not the user's.
    const groupIds = filters.group
      ? [(await this.groups.visibleGroup(em, user, filters.group)).id]
      : (await this.scope.of(em, user)).groupIds;
    return {
      groupIds,
      search: filters.q ? { text: filters.q, match: 'prefix' } : undefined,
      method: filters.method,
      status: filters.consent,
      connection: filters.connection,
      reading: filters.reading,
      sort: filters.sort,
      after: filters.after,
      limit,
    };
  }
}

export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value));
}
