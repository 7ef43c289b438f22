import { BadRequestException, Get, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { EntityManager } from '@mikro-orm/postgresql';
import { Access, AdminAccount, PortalController, renderPage, roleHas, type PortalRequest } from '@opendsp/admin-auth';
import { DspConfig } from '@opendsp/config';
import { GroupsService, ProgramGroup } from '@opendsp/groups';
import { translate } from '@opendsp/i18n';
import { encodeCursor, parseCursor, UUID } from '@opendsp/pagination';
import { SyncStatusService } from '@opendsp/sync';
import { funnelChart } from '../charts/funnel-chart.js';
import { DataScope } from '../data-scope.service.js';
import { participantsQuery, type ParticipantFilters } from '../participants/dto/participant-filters.dto.js';
import { DashboardSnapshots, FUNNEL_FIELDS, type FunnelFigures } from './dashboard-snapshots.service.js';

const GROUPS_PER_PAGE = 50;

/** Each dashboard figure, with the participant list filter that shows who it counts. */
export const FIGURE_FILTERS: Record<(typeof FUNNEL_FIELDS)[number], Partial<ParticipantFilters>> = {
  invited: {},
  consented: { consent: 'consented' },
  firstReading: { consent: 'consented', reading: 'any' },
  active: { consent: 'consented', reading: 'recent' },
  stale: { consent: 'consented', reading: 'stale', sort: 'quiet' },
  reconnectNeeded: { consent: 'consented', connection: 'reconnect_needed' },
  withdrawn: { consent: 'withdrawn' },
  readings24h: { consent: 'consented', reading: '24h', sort: 'last_reading' },
  readings7d: { consent: 'consented', reading: '7d', sort: 'last_reading' },
};

const FUNNEL_COLORS: Partial<Record<(typeof FUNNEL_FIELDS)[number], string>> = {
  invited: '#94a3b8',
  consented: '#1f5fbf',
  firstReading: '#2563eb',
  active: '#166534',
  stale: '#b45309',
  reconnectNeeded: '#b91c1c',
  withdrawn: '#64748b',
};

function figureLinks(group: string | undefined): Record<string, string> {
  return Object.fromEntries(
    FUNNEL_FIELDS.map((field) => [field, `/participants${participantsQuery({ ...FIGURE_FILTERS[field], group })}`]),
  ) as Record<string, string>;
}

/** The portal's front page: per group, who has joined, whose data flows, who has gone quiet, and how sync is doing. */
@PortalController()
export class DashboardPortalController {
  constructor(
    private readonly em: EntityManager,
    private readonly snapshots: DashboardSnapshots,
    private readonly groups: GroupsService,
    private readonly scope: DataScope,
    private readonly config: DspConfig,
    private readonly sync: SyncStatusService,
  ) {}

  @Get()
  @Access('dashboard.view')
  async dashboard(@Req() req: PortalRequest, @Res() res: Response, @Query() query: Record<string, unknown>): Promise<void> {
    const user = req.portal.user!;
    const lang = req.portal.lang;
    const em = this.em.fork();
    const groupParam = query.group;
    const afterParam = query.after;
    if ((groupParam !== undefined && typeof groupParam !== 'string') || (afterParam !== undefined && typeof afterParam !== 'string')) {
      throw new BadRequestException();
    }
    let after: { name: string; id: string } | undefined;
    if (afterParam) {
      const parts = parseCursor(afterParam, [/^[\s\S]*$/, UUID]);
      if (!parts) throw new BadRequestException();
      after = { name: parts[0], id: parts[1] };
    }

    const focus = groupParam ? await this.groups.visibleGroup(em, user, groupParam) : null;
    const scope = await this.scope.of(em, user);
    const groupIds = focus ? [focus.id] : scope.groupIds;
    // Independent reads, side by side (each on its own fork of the entity manager).
    const [figures, overview, activeGroups, admins, groupChoices] = await Promise.all([
      this.snapshots.dashboard(groupIds, { after, limit: GROUPS_PER_PAGE }),
      this.sync.overview(focus ? { groupIds: [focus.id] } : scope),
      this.em
        .fork()
        .count(ProgramGroup, scope.groupIds === null ? { archivedAt: null } : { id: { $in: scope.groupIds }, archivedAt: null }),
      roleHas(user.role, 'admins.manage') ? this.em.fork().count(AdminAccount, { disabledAt: null }) : 0,
      this.em
        .fork()
        .find(ProgramGroup, scope.groupIds === null ? { archivedAt: null } : { id: { $in: scope.groupIds }, archivedAt: null }, {
          orderBy: { displayName: 'asc' },
          limit: 500,
        }),
    ]);
    const perGroupSync = figures.groups.length ? await this.sync.groupFigures(figures.groups.map((group) => group.groupInternalId)) : null;
    const links = figureLinks(focus?.groupId);
    const label = (field: string) => translate(lang, `funnel.${field}`);
    const total: FunnelFigures = figures.total;

    renderPage(res, 'home', {
      title: 'dashboard.title',
      activeGroups,
      admins,
      focus,
      groupChoices: groupChoices.map((group) => ({
        value: group.groupId,
        label: group.displayName,
        selected: group.groupId === focus?.groupId,
      })),
      total,
      links,
      staleAfterDays: this.config.participants.staleAfterDays,
      refreshSeconds: this.config.dataViews.dashboardRefreshSeconds,
      computedAt: figures.computedAt,
      funnel: funnelChart({
        key: 'funnel',
        title: translate(lang, 'funnel.title'),
        lang,
        steps: (['invited', 'consented', 'firstReading', 'active', 'stale', 'reconnectNeeded', 'withdrawn'] as const).map((field) => ({
          key: field,
          label: label(field),
          value: total[field],
          href: links[field],
          color: FUNNEL_COLORS[field]!,
        })),
      }),
      sync: overview,
      groupRows: figures.groups.map((group) => ({
        ...group,
        links: figureLinks(group.groupId),
        sync: perGroupSync?.get(group.groupInternalId) ?? null,
      })),
      syncPerGroup: perGroupSync !== null,
      nextLink: figures.nextAfter
        ? `/?${new URLSearchParams({ ...(focus ? { group: focus.groupId } : {}), after: encodeCursor([figures.nextAfter.name, figures.nextAfter.id]) }).toString()}`
        : null,
      isFirstPage: !after,
    });
  }
}
