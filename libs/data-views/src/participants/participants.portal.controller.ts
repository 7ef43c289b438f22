import { DspConfig } from '@opendsp/config';
import { Body, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Access, actorOf, PortalController, redirectTo, renderPage, type PortalRequest } from '@opendsp/admin-auth';
import { CONNECTION_FILTERS, ENROLLMENT_METHODS, ENROLLMENT_STATUSES, PARTICIPANT_SORTS, READING_FILTERS } from '@opendsp/participants';
import { DataScope } from '../data-scope.service.js';
import { SyncRequests } from '../sync/sync-requests.service.js';
import { ParticipantPageQuery } from './dto/participant-page-query.dto.js';
import { SyncNowForm } from './dto/sync-now.dto.js';
import { ParticipantFiltersQuery, participantsQuery, type ParticipantFilters } from './dto/participant-filters.dto.js';
import { ParticipantList } from './participant-list.service.js';
import { ParticipantPage } from './participant-page.service.js';

const PAGE_SIZE = 50;
/** Notices this controller's redirects may carry. */
const SYNC_NOTICES = ['sync_queued', 'sync_already_queued', 'sync_not_connected'] as const;

/** The cross-group participant list, a participant's page with charts, and "sync now". */
@PortalController('participants')
export class ParticipantsPortalController {
  constructor(
    private readonly list: ParticipantList,
    private readonly page: ParticipantPage,
    private readonly scope: DataScope,
    private readonly requests: SyncRequests,
    private readonly config: DspConfig,
  ) {}

  @Get()
  @Access('participants.view')
  async participants(@Req() req: PortalRequest, @Res() res: Response, @Query() query: ParticipantFiltersQuery): Promise<void> {
    const filters: ParticipantFilters = { ...query };
    const user = req.portal.user!;
    const [result, groups] = await Promise.all([this.list.page(user, filters, PAGE_SIZE), this.scope.groupChoices(user, filters.group)]);
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
    @Query() query: ParticipantPageQuery,
  ): Promise<void> {
    const view = await this.page.view(req.portal.user!, ogscId, query, req.portal.lang);
    const notice = query.notice && (SYNC_NOTICES as readonly string[]).includes(query.notice) ? `notice.${query.notice}` : undefined;
    renderPage(res, 'data/participant', { ...view, notice, grantStaysAtOmron: this.config.omron.revocationUrl === null });
  }

  /** "Sync now": queues a pull of one kind (or every kind) for the participant, through the sync module. */
  @Post(':ogscId/sync')
  @Access('sync.run')
  async syncNow(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('ogscId') ogscId: string,
    @Body() form: SyncNowForm,
  ): Promise<void> {
    const outcome = await this.requests.syncNow(req.portal.user!, ogscId, form.kind || null, actorOf(req));
    const notice = {
      queued: 'sync_queued',
      already_queued: 'sync_already_queued',
      not_connected: 'sync_not_connected',
    }[outcome.result];
    redirectTo(res, `/participants/${outcome.ogscId}?notice=${notice}#sync`);
  }
}
