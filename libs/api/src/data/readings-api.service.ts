import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { ReadingsRepository, type MeasurementKind } from '@opendsp/measurements';
import type { ApiPrincipal } from '../auth/api-principal.types.js';
import type { ChangeFeedPageDto, MeasurementPageDto, ReadingDto } from '../dto/readings.dto.js';
import { ApiProblem } from '../problems/api-problem.exception.js';
import { clientGroupsSql } from './client-groups.helpers.js';
import { decodeCursor, encodeCursor } from './cursor.helpers.js';
import { GroupsApiService } from './groups-api.service.js';
import { ParticipantsApiService } from './participants-api.service.js';
import { readableParticipantSql, type SqlFragment } from './api-sql.helpers.js';

const CURSOR_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const CURSOR_ID = /^\d{1,19}$/;

/** Readings: one participant's by kind and time, and the change feed across every participant a client may read. */
@Injectable()
export class ReadingsApiService {
  constructor(
    private readonly em: EntityManager,
    private readonly participants: ParticipantsApiService,
    private readonly groups: GroupsApiService,
    private readonly readings: ReadingsRepository,
  ) {}

  /**
   * A participant's readings of one kind in `[from, to)`, in measurement order. Keyset pagination on
   * (measured_at, id): a reading inserted while a client pages is never returned twice, and none that
   * existed when paging began is skipped (readings arriving later are the change feed's business).
   */
  async measurements(
    principal: ApiPrincipal,
    ogscId: string,
    kind: MeasurementKind,
    query: { from?: string; to?: string; cursor?: string; limit: number },
  ): Promise<MeasurementPageDto> {
    const from = query.from ? new Date(query.from) : undefined;
    const to = query.to ? new Date(query.to) : undefined;
    if (from && to && from >= to) {
      throw ApiProblem.validation([{ field: 'to', code: 'before_from', message: 'to must be later than from' }]);
    }
    const em = this.em.fork();
    const { participant, readable } = await this.readableParticipant(em, principal, ogscId);
    const [measuredAt, id] = decodeCursor(query.cursor, [CURSOR_TIME, CURSOR_ID]) ?? [];
    if (!readable) return { data: [], nextCursor: null };

    const rows = await this.readings.apiPage(em, {
      kind,
      participantId: participant.id,
      from,
      to,
      after: measuredAt ? { measuredAt, id } : undefined,
      limit: query.limit + 1,
    });
    const shown = rows.slice(0, query.limit);
    const last = shown.at(-1);
    return {
      data: shown.map((row) => row.reading as ReadingDto),
      nextCursor: rows.length > query.limit && last ? encodeCursor([last.cursor_time, last.id]) : null,
    };
  }

  /**
   * The participant by OGSC ID if the client may see them (404 otherwise), and whether it may read their readings:
   * only while they have a consented enrollment in one of the client's groups.
   */
  async readableParticipant(
    em: EntityManager,
    principal: ApiPrincipal,
    ogscId: string,
  ): Promise<{ participant: { id: string; ogsc_id: string }; readable: boolean }> {
    const participant = await this.participants.visibleParticipant(em, principal, ogscId);
    const condition = readableParticipantSql('?::uuid', clientGroupsSql(principal));
    const [allowed] = await em.execute<{ ok: boolean }[]>(`select ${condition.sql} as ok`, [participant.id, ...condition.params]);
    return { participant, readable: allowed.ok };
  }

  /** Readings created or changed after `since`, in change order, across every participant the client may read. */
  async changes(
    principal: ApiPrincipal,
    query: { since: string; limit: number; kinds?: MeasurementKind[]; groupId?: string },
  ): Promise<ChangeFeedPageDto> {
    const since = Number(query.since);
    const em = this.em.fork();
    let groups: SqlFragment = clientGroupsSql(principal);
    if (query.groupId) {
      const group = await this.groups.visibleGroup(em, principal, query.groupId);
      groups = { sql: 'e.group_id = ?', params: [group.id] };
    }
    const rows = await this.readings.changeFeed(em, {
      since,
      limit: query.limit,
      kinds: [...new Set(query.kinds ?? [])],
      readable: (participantColumn) => readableParticipantSql(participantColumn, groups),
    });
    const last = rows.at(-1);
    return {
      data: rows.map((row) => row.reading as ReadingDto),
      nextSince: last ? Number(last.change_seq) : since,
      hasMore: rows.length === query.limit,
    };
  }
}
