import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { ADHERENCE_THRESHOLD_DAYS, AdherenceCursorError, AdherenceService } from '@opendsp/insights';
import type { ApiPrincipal } from '../auth/api-principal.types.js';
import type { AdherencePageDto, AdherenceQuery } from '../dto/adherence.dto.js';
import { ApiProblem } from '../problems/api-problem.exception.js';
import { GroupsApiService } from './groups-api.service.js';

/** A group's remote-monitoring adherence for API clients: libs/insights' list, for a group the client may see. */
@Injectable()
export class AdherenceApiService {
  constructor(
    private readonly em: EntityManager,
    private readonly groups: GroupsApiService,
    private readonly adherence: AdherenceService,
  ) {}

  async page(principal: ApiPrincipal, groupId: string, query: AdherenceQuery): Promise<AdherencePageDto> {
    const group = await this.groups.visibleGroup(this.em.fork(), principal, groupId);
    let page;
    try {
      page = await this.adherence.page(
        group.id,
        { period: query.period, order: query.order, after: query.cursor, limit: query.limit },
        'opaque',
      );
    } catch (error) {
      if (!(error instanceof AdherenceCursorError)) throw error;
      throw ApiProblem.validation([
        { field: 'cursor', code: 'invalid_cursor', message: 'cursor must be the nextCursor of a previous page of this list' },
      ]);
    }
    return {
      today: page.today,
      period: query.period,
      data: page.rows.map((row) => ({
        ogscId: row.ogscId,
        internalCustomerId: row.internalCustomerId,
        periodStart: row.periodStart,
        periodEnd: row.periodEnd,
        daysWithReadings: row.days,
        thresholdDays: ADHERENCE_THRESHOLD_DAYS,
        daysStillNeeded: row.needed,
        thresholdMet: row.met,
        canStillBeMet: row.reachable,
        lastDayToMeet: row.lastChanceDay,
      })),
      nextCursor: page.nextAfter,
    };
  }
}
