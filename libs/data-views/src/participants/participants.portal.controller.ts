import { DspConfig } from '@opendsp/config';
import { BadRequestException, Body, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { EntityManager } from '@mikro-orm/postgresql';
import { Access, actorOf, PortalController, redirectTo, renderPage, type PortalRequest } from '@opendsp/admin-auth';
import { AuditLog } from '@opendsp/audit';
import { GroupsService, ProgramGroup } from '@opendsp/groups';
import { MEASUREMENT_KIND_NAMES, type MeasurementKind } from '@opendsp/measurements';
import { CONNECTION_FILTERS, ENROLLMENT_METHODS, ENROLLMENT_STATUSES, PARTICIPANT_SORTS, READING_FILTERS } from '@opendsp/participants';
import { SyncStatusService } from '@opendsp/sync';
import { DataScope } from '../data-scope.service.js';
import { parseParticipantFilters, participantsQuery, type ParticipantFilters } from './dto/participant-filters.dto.js';
import { ParticipantList } from './participant-list.service.js';
import { ParticipantPage } from './participant-page.service.js';
import { ParticipantRecords } from './participant-records.service.js';

const PAGE_SIZE = 50;
/** Notices this controller's redirects may carry. */
const SYNC_NOTICES = ['sync_queued', 'sync_already_queued', 'sync_not_connected'] as const;

/** The cross-group participant list, a participant's page with charts, and "sync now". */
@PortalController('participants')
export class ParticipantsPortalController {
  constructor(
    private readonly em: EntityManager,
    private readonly list: ParticipantList,
    private readonly page: ParticipantPage,
    private readonly records: ParticipantRecords,
    private readonly groups: GroupsService,
    private readonly scope: DataScope,
    private readonly audit: AuditLog,
    private readonly sync: SyncStatusService,
    private readonly config: DspConfig,
  ) {}

  @Get()
  @Access('participants.view')
  async participants(@Req() req: PortalRequest, @Res() res: Response, @Query() query: Record<string, unknown>): Promise<void> {
    const parsed = parseParticipantFilters(query);
    if (!parsed.ok) throw new BadRequestException();
    const filters = parsed.filters;
    const user = req.portal.user!;
    const [result, groups] = await Promise.all([this.list.page(user, filters, PAGE_SIZE), this.groupChoices(req, filters.group)]);
    const option = (values: readonly string[], chosen: string | undefined, prefix: string) =>
      values.map((value) => ({ value, label: `${prefix}${value}`, selected: value === chosen }));
    const base: Partial<ParticipantFilters> = { ...filters, after: undefined };
    renderPage(res, 'data/participants', {
      title: 'participants.title',
      filters,
      rows: result.rows.map((row) => ({
        ...row,
        statusKey: `consent.${row.status}`,
        connectionKey: `connection.${row.connectionState ?? 'none'}`,
      })),
      groups,
      methods: option(ENROLLMENT_METHODS, filters.method, 'method.'),
      consents: option(ENROLLMENT_STATUSES, filters.consent, 'consent.'),
      connections: option(CONNECTION_FILTERS, filters.connection, 'connection.'),
      readings: option(READING_FILTERS, filters.reading, 'reading_filter.'),
      sorts: option(PARTICIPANT_SORTS, filters.sort, 'sort.'),
      filtered: Boolean(filters.q || filters.group || filters.method || filters.consent || filters.connection || filters.reading),
      firstLink: filters.after ? `/participants${participantsQuery(base)}` : null,
      nextLink: result.nextAfter ? `/participants${participantsQuery({ ...base, after: result.nextAfter })}` : null,
    });
  }

  @Get(':ogscId')
  @Access('participants.view')
  async participant(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('ogscId') ogscId: string,
    @Query() query: Record<string, unknown>,
  ): Promise<void> {
    const view = await this.page.view(req.portal.user!, ogscId, query, req.portal.lang);
    const notice =
      typeof query.notice === 'string' && (SYNC_NOTICES as readonly string[]).includes(query.notice) ? `notice.${query.notice}` : undefined;
    renderPage(res, 'data/participant', { ...view, notice, grantStaysAtOmron: this.config.omron.revocationUrl === null });
  }

  /** "Sync now": queues a pull of one kind (or every kind) for the participant, through the sync module. */
  @Post(':ogscId/sync')
  @Access('sync.run')
  async syncNow(@Req() req: PortalRequest, @Res() res: Response, @Param('ogscId') ogscId: string, @Body() body: unknown): Promise<void> {
    const kindValue = (body as Record<string, unknown> | undefined)?.kind;
    if (
      kindValue !== undefined &&
      kindValue !== '' &&
      (typeof kindValue !== 'string' || !MEASUREMENT_KIND_NAMES.includes(kindValue as MeasurementKind))
    ) {
      throw new BadRequestException();
    }
    const kind = kindValue ? (kindValue as MeasurementKind) : null;
    const outcome = await this.em.fork().transactional(async (em) => {
      const { participant } = await this.records.visible(em, req.portal.user!, ogscId);
      const result = await this.sync.requestSync(em, participant.id, kind, actorOf(req));
      if (result === 'queued') {
        this.audit.record(em, {
          action: 'sync.requested',
          actor: actorOf(req),
          target: { type: 'participant', id: participant.ogscId },
          detail: { kind: kind ?? 'all' },
        });
      }
      return { result, ogscId: participant.ogscId };
    });
    const notice = {
      queued: 'sync_queued',
      already_queued: 'sync_already_queued',
      not_connected: 'sync_not_connected',
    }[outcome.result];
    redirectTo(res, `/participants/${outcome.ogscId}?notice=${notice}#sync`);
  }

  /** The group filter's choices: the user's groups (a partner admin: up to 500 by name), plus the chosen one. */
  private async groupChoices(
    req: PortalRequest,
    chosen: string | undefined,
  ): Promise<{ value: string; label: string; selected: boolean }[]> {
    const em = this.em.fork();
    const { groupIds } = await this.scope.of(em, req.portal.user!);
    const groups = await em.find(ProgramGroup, groupIds === null ? {} : { id: { $in: groupIds } }, {
      orderBy: { displayName: 'asc' },
      limit: 500,
    });
    if (chosen && !groups.some((group) => group.groupId === chosen))
      groups.unshift(await this.groups.visibleGroup(em, req.portal.user!, chosen));
    return groups.map((group) => ({ value: group.groupId, label: group.displayName, selected: group.groupId === chosen }));
  }
}
