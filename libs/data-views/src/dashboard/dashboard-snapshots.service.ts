import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { GroupLookups, type GroupLabel } from '@opendsp/groups';
import { ReadingsRepository } from '@opendsp/measurements';
import { EnrollmentCounts, staleCutoff as staleCutoffAt } from '@opendsp/participants';

/** An active group as the groups room lists it: internal ID and label. */
type ActiveGroup = { id: string } & GroupLabel;

/** A group's dashboard figures, with its public ID and name. */
export interface GroupFigures {
  groupInternalId: string;
  groupId: string;
  displayName: string;
  invited: number;
  consented: number;
  firstReading: number;
  active: number;
  stale: number;
  reconnectNeeded: number;
  withdrawn: number;
  readings24h: number;
  readings7d: number;
  computedAt: Date;
}

export type FunnelFigures = Omit<GroupFigures, 'groupInternalId' | 'groupId' | 'displayName' | 'computedAt'>;

export const FUNNEL_FIELDS = [
  'invited',
  'consented',
  'firstReading',
  'active',
  'stale',
  'reconnectNeeded',
  'withdrawn',
  'readings24h',
  'readings7d',
] as const satisfies readonly (keyof FunnelFigures)[];

/** Arbitrary constant naming the lock that lets one process at a time recompute the snapshot. */
const REFRESH_LOCK = 0x6f647370_02;

/**
 * The dashboard's per-group figures. "Active" and "stale" are the funnel's `receiving` and `stale` stages
 * (libs/participants' enrollment-funnel.rules.ts), so a group's funnel page and the dashboard agree. `refresh()` recomputes
 * every group's with a few aggregates, each one statement (libs/participants' counts of enrollments and
 * reconnect-needed connections, and the readings received in the last 7 days through each table's BRIN index
 * on `created_at`, summed per group by libs/participants) and upserts `group_dashboard_snapshot`; pages read
 * those rows, so the dashboard costs the same at 100,000 participants and 10 million readings as at ten.
 */
@Injectable()
export class DashboardSnapshots implements BeforeApplicationShutdown {
  private readonly logger = new Logger(DashboardSnapshots.name);
  private refreshing: Promise<boolean> | null = null;
  /** The groups room's lookups: stateless, so this service keeps its own (GroupsModule would bring portal pages to workers). */
  private readonly groups = new GroupLookups();

  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
    private readonly readings: ReadingsRepository,
    private readonly enrollments: EnrollmentCounts,
  ) {}

  /**
   * Recomputes every group's figures. Returns false when another process holds the refresh lock (it is
   * computing the same figures right now).
   */
  async refresh(): Promise<boolean> {
    const staleAfterDays = this.config.participants.staleAfterDays;
    const now = new Date();
    const since = (ms: number) => new Date(now.getTime() - ms).toISOString();
    const day = since(86_400_000);
    const week = since(7 * 86_400_000);
    const staleCutoff = staleCutoffAt(staleAfterDays, now.getTime());
    const receivedSql = this.readings.receivedSinceSql(week);
    return this.em.fork().transactional(async (em) => {
      const connection = em.getConnection();
      const context = em.getTransactionContext();
      const [lock] = await connection.execute<{ locked: boolean }[]>(
        'select pg_try_advisory_xact_lock(?) as locked',
        [REFRESH_LOCK],
        'all',
        context,
      );
      if (!lock.locked) return false;
      // Enrollments, participants and connections are counted by their owners (libs/participants, which asks
      // libs/tokens for the connections); the readings received by libs/measurements' SQL.
      const funnel = await this.enrollments.byGroup(em, staleCutoff);
      const received = await this.enrollments.sumsByConsentedGroup(
        em,
        {
          sql: `select participant_id, count(*) filter (where created_at >= ?::timestamptz) as day, count(*) as week
                  from (${receivedSql.sql}) r group by participant_id`,
          params: [day, ...receivedSql.params],
        },
        ['day', 'week'] as const,
      );
      const allGroups = await this.groups.allIds(em);
      const figures = [...new Set([...funnel.keys(), ...received.keys()])].map((groupId) => ({
        group_id: groupId,
        ...funnel.get(groupId),
        readings24h: received.get(groupId)?.day ?? 0,
        readings7d: received.get(groupId)?.week ?? 0,
      }));
      await connection.execute(
        `insert into group_dashboard_snapshot (group_id, invited, consented, first_reading, active, stale, reconnect_needed, withdrawn,
                                               readings24h, readings7d, stale_after_days, computed_at)
         select g.id, coalesce(f."invited", 0), coalesce(f."consented", 0), coalesce(f."firstReading", 0), coalesce(f."active", 0),
                coalesce(f."stale", 0), coalesce(f."reconnectNeeded", 0), coalesce(f."withdrawn", 0),
                coalesce(f."readings24h", 0), coalesce(f."readings7d", 0), ?, ?::timestamptz
           from unnest(?::uuid[]) as g(id)
           left join jsonb_to_recordset(?::jsonb) as f(group_id uuid, "invited" int, "consented" int, "firstReading" int, "active" int,
                "stale" int, "reconnectNeeded" int, "withdrawn" int, "readings24h" int, "readings7d" int) on f.group_id = g.id
         on conflict (group_id) do update set invited = excluded.invited, consented = excluded.consented,
           first_reading = excluded.first_reading, active = excluded.active, stale = excluded.stale,
           reconnect_needed = excluded.reconnect_needed, withdrawn = excluded.withdrawn, readings24h = excluded.readings24h,
           readings7d = excluded.readings7d, stale_after_days = excluded.stale_after_days, computed_at = excluded.computed_at`,
        [staleAfterDays, now.toISOString(), `{${allGroups.join(',')}}`, JSON.stringify(figures)],
        'run',
        context,
      );
      return true;
    });
  }

  /** A refresh still running finishes before the database connections close. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.refreshing?.catch(() => undefined);
  }

  /** One refresh at a time in this process; callers that arrive meanwhile share it. */
  refreshOnce(): Promise<boolean> {
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /**
   * The dashboard's figures within a scope (`groupIds` null: every group), active groups only: their
   * total, and one page of groups by name. Recomputed first when a shown group has no figures yet (a new
   * group, a fresh database), and in the background when they are older than twice the refresh period
   * (the worker normally keeps them fresh; this covers a web process running without one).
   * `activeGroups`, when the caller reads them anyway: every active group of a scope that holds `groupIds`, by name
   * then ID (`GroupLookups.activeByName`); they are then not read again here, nor is the first page of groups.
   */
  async dashboard(
    groupIds: string[] | null,
    page: { after?: { name: string; id: string }; limit: number },
    activeGroups?: Promise<ActiveGroup[]>,
  ): Promise<{ total: FunnelFigures; computedAt: Date | null; groups: GroupFigures[]; nextAfter: { name: string; id: string } | null }> {
    let result = await this.read(groupIds, page, activeGroups);
    if (result.missing) {
      await this.refreshOnce();
      result = await this.read(groupIds, page, activeGroups);
    } else if (result.computedAt && Date.now() - result.computedAt.getTime() > this.config.dataViews.dashboardRefreshSeconds * 2000) {
      void this.refreshOnce().catch((error: unknown) => this.logger.error({ err: error }, 'dashboard snapshot refresh failed'));
    }
    return { total: result.total, computedAt: result.computedAt, groups: result.groups, nextAfter: result.nextAfter };
  }

  private async read(
    groupIds: string[] | null,
    page: { after?: { name: string; id: string }; limit: number },
    activeGroups?: Promise<ActiveGroup[]>,
  ): Promise<{
    total: FunnelFigures;
    computedAt: Date | null;
    groups: GroupFigures[];
    nextAfter: { name: string; id: string } | null;
    missing: boolean;
  }> {
    const total = Object.fromEntries(FUNNEL_FIELDS.map((field) => [field, 0])) as FunnelFigures;
    if (groupIds !== null && groupIds.length === 0) return { total, computedAt: null, groups: [], nextAfter: null, missing: false };
    // Which groups are active, their names and their order are the groups room's; the figures are this room's. All
    // side by side, one round trip: the scope's snapshot rows (one per group) are few, and are added up here. Given the
    // active groups in order, the first page is their first `limit + 1` (a later page's keyset is PostgreSQL's order).
    const em = this.em.fork();
    const inScope = (groups: ActiveGroup[]) => {
      if (groupIds === null) return groups;
      const wanted = new Set(groupIds);
      return groups.filter((group) => wanted.has(group.id));
    };
    const [activeIds, pageGroups, snapshots] = await Promise.all([
      activeGroups ? activeGroups.then((groups) => inScope(groups).map((group) => group.id)) : this.groups.activeIds(em, groupIds),
      activeGroups && !page.after
        ? activeGroups.then((groups) => inScope(groups).slice(0, page.limit + 1))
        : this.groups.activePage(em, groupIds, { after: page.after, limit: page.limit + 1 }),
      em.execute<Record<string, unknown>[]>(
        `select s.* from group_dashboard_snapshot s${groupIds === null ? '' : ' where s.group_id = any(?::uuid[])'}`,
        groupIds === null ? [] : [`{${groupIds.join(',')}}`],
      ),
    ]);
    const active = new Set(activeIds);
    let computedAt: Date | null = null;
    for (const row of snapshots) {
      if (!active.has(String(row.group_id))) continue;
      for (const field of FUNNEL_FIELDS) total[field] += Number(row[COLUMNS[field]]);
      const at = new Date(row.computed_at as string | Date);
      if (!computedAt || at < computedAt) computedAt = at;
    }
    const snapshotOf = new Map(snapshots.map((row) => [String(row.group_id), row]));
    const rows = pageGroups.map((group) => ({
      ...(snapshotOf.get(group.id) ?? { computed_at: null }),
      group_internal_id: group.id,
      public_group_id: group.groupId,
      display_name: group.displayName,
    })) as Record<string, unknown>[];
    const shown = rows.slice(0, page.limit);
    const last = shown.at(-1);
    return {
      total,
      computedAt,
      missing: shown.some((row) => row.computed_at === null),
      nextAfter: rows.length > page.limit && last ? { name: String(last.display_name), id: String(last.group_internal_id) } : null,
      groups: shown.map((row) => ({
        groupInternalId: String(row.group_internal_id),
        groupId: String(row.public_group_id),
        displayName: String(row.display_name),
        ...(Object.fromEntries(FUNNEL_FIELDS.map((field) => [field, Number(row[COLUMNS[field]] ?? 0)])) as FunnelFigures),
        computedAt: new Date((row.computed_at as string | Date | null) ?? Date.now()),
      })),
    };
  }
}

/** Snapshot columns by figure. */
const COLUMNS: Record<(typeof FUNNEL_FIELDS)[number], string> = {
  invited: 'invited',
  consented: 'consented',
  firstReading: 'first_reading',
  active: 'active',
  stale: 'stale',
  reconnectNeeded: 'reconnect_needed',
  withdrawn: 'withdrawn',
  readings24h: 'readings24h',
  readings7d: 'readings7d',
};
