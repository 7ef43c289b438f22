import { BadRequestException, Injectable } from '@nestjs/common';
import { AdminAccountsService, roleHas, type PortalUser } from '@opendsp/admin-auth';
import { DspConfig, type Language } from '@opendsp/config';
import { translate } from '@opendsp/i18n';
import { encodeCursor, parseCursor, UUID } from '@opendsp/pagination';
import { SyncStatusService } from '@opendsp/sync';
import { funnelChart } from '../charts/funnel-chart.helpers.js';
import { DataScope } from '../data-scope.service.js';
import { participantsQuery, type ParticipantFilters } from '../participants/dto/participant-filters.dto.js';
import { DashboardSnapshots, FUNNEL_FIELDS, type FunnelFigures } from './dashboard-snapshots.service.js';
import type { DashboardQuery } from './dto/dashboard-query.dto.js';

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

/**
 * The dashboard page: the snapshot figures of the user's groups (or the one chosen), sync's overview and
 * per-group figures, the scope's active groups, and the funnel chart, put together for `data/dashboard`.
 */
@Injectable()
export class DashboardPage {
  constructor(
    private readonly snapshots: DashboardSnapshots,
    private readonly accounts: AdminAccountsService,
    private readonly scope: DataScope,
    private readonly config: DspConfig,
    private readonly sync: SyncStatusService,
  ) {}

  /** The page's view for `user` in `lang`; a group the user may not see is a 404, a cursor that does not parse a 400. */
  async view(user: PortalUser, query: DashboardQuery, lang: Language): Promise<Record<string, unknown>> {
    const { group: groupParam, after: afterParam } = query;
    let after: { name: string; id: string } | undefined;
    if (afterParam) {
      const parts = parseCursor(afterParam, [/^[\s\S]*$/, UUID]);
      if (!parts) throw new BadRequestException();
      after = { name: parts[0], id: parts[1] };
    }

    const [focus, scope] = await Promise.all([groupParam ? this.scope.visibleGroup(user, groupParam) : null, this.scope.ofUser(user)]);
    const groupIds = focus ? [focus.id] : scope.groupIds;
    // Independent reads, side by side (each on its own fork of the entity manager); the page's per-group sync
    // figures follow the snapshot's page of groups in the same chain, so the page waits for the slowest chain only.
    // The scope's active groups, read once: counted, offered as choices, and the snapshot's groups and first page.
    const active = this.scope.activeGroups(scope);
    const [[figures, perGroupSync], overview, activeGroups, admins] = await Promise.all([
      this.snapshots
        .dashboard(groupIds, { after, limit: GROUPS_PER_PAGE }, active)
        .then(
          async (found) =>
            [found, found.groups.length ? await this.sync.groupFigures(found.groups.map((group) => group.groupInternalId)) : null] as const,
        ),
      this.sync.overview(focus ? { groupIds: [focus.id] } : scope),
      active,
      roleHas(user.role, 'admins.manage') ? this.accounts.activeCount() : 0,
    ]);
    const links = figureLinks(focus?.groupId);
    const label = (field: string) => translate(lang, `funnel.${field}`);
    const total: FunnelFigures = figures.total;

    return {
      title: 'dashboard.title',
      activeGroups: activeGroups.length,
      admins,
      focus,
      groupChoices: activeGroups.slice(0, 500).map((group) => ({
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
    };
  }
}
