import { Injectable, NotFoundException } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import type { ProgramGroup } from '@opendsp/groups';
import { connectionJoinSql } from '@opendsp/tokens';
import type { EnrollmentMethod } from '../participant.entity.js';
import type { EnrollmentStatus } from '../enrollment.entity.js';
import { ConsentActivityPort } from '../consent-activity.port.js';
import { groupById } from '../group-lookup.helpers.js';
import {
  FUNNEL_STAGE_SQL,
  FUNNEL_STAGES,
  GROUP_CONNECTION_SQL,
  GROUP_CONNECTION_STATES,
  staleCutoff,
  type FunnelStage,
  type GroupConnectionState,
} from './enrollment-funnel.rules.js';
import { ParticipantListQuery, type ParticipantListRow } from './participant-list-query.service.js';

/** One participant of a group as its participant page shows them. */
export interface ParticipantDetails {
  enrollmentId: string;
  ogscId: string;
  loginId: string | null;
  enrollmentMethod: EnrollmentMethod;
  internalCustomerId: string | null;
  status: EnrollmentStatus;
  stage: FunnelStage;
  connectionState: GroupConnectionState;
  createdAt: Date;
  consentedAt: Date | null;
  invitedAt: Date | null;
  linkOpenedAt: Date | null;
  consentedScopes: string | null;
  withdrawnAt: Date | null;
  withdrawnBy: string | null;
  firstReadingAt: Date | null;
  lastReadingAt: Date | null;
  mustChangePassword: boolean;
  credentialsExpireAt: Date | null;
  lastSignInAt: Date | null;
  connectionStateChangedAt: Date | null;
  connectionStateReason: string | null;
}

/** The funnel of one group: how many reached each stage, and how many stand at each stage now. */
export interface GroupFunnel {
  staleAfterDays: number;
  reached: { invited: number; link_opened: number; consented: number; first_reading: number };
  current: Record<FunnelStage, number>;
  connections: Record<GroupConnectionState, number>;
  /** Distinct e-mail addresses sent a consent-link invitation (they are not participants until they open it). */
  emailInvitations: number;
  /** Every opening of a valid consent link, anonymous visitors included (counted by libs/consent per day). */
  linkOpens: { total: number; last7Days: number };
  total: number;
}

const FROM_SQL = `from enrollment e
  join participant p on p.id = e.participant_id
  ${connectionJoinSql('p.omron_user_id')}`;

/**
 * The funnel's rows: each of a group's enrollments with its participant's OMRON user looked up by ID (a lateral
 * subquery the planner keeps as one index lookup per enrollment, in participant_id_covering_index, rather than
 * hashing all participants) and that user's connection (omron_connection_user_state_index holds the state).
 */
const FUNNEL_FROM_SQL = `from enrollment e
  cross join lateral (select p.omron_user_id from participant p where p.id = e.participant_id offset 0) p
  ${connectionJoinSql('p.omron_user_id')}`;

interface DetailsRow {
  enrollment_id: string;
  ogsc_id: string;
  login_id: string | null;
  enrollment_method: EnrollmentMethod;
  internal_customer_id: string | null;
  status: EnrollmentStatus;
  stage: FunnelStage;
  connection_state: GroupConnectionState;
  created_at: Date;
  consented_at: Date | null;
}

/** A group page's list: narrowed by funnel stage and an exact search, newest first. */
export interface ParticipantFilter {
  stage?: FunnelStage;
  /** Exact OGSC ID, login ID or internal customer ID. */
  search?: string;
  /** Keyset cursor from the previous page. */
  after?: string;
  limit: number;
}

/**
 * Read side of a group's participants for admins: the list (the shared participant list query, filterable by
 * funnel stage), one participant's details, and the funnel and connection-state counts.
 */
@Injectable()
export class ParticipantDirectory {
  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
    private readonly list: ParticipantListQuery,
    private readonly consentActivity: ConsentActivityPort,
  ) {}

  /** The group by its public ID (404 when there is none; the portal's guard has checked the admin may see it). */
  async group(groupId: string): Promise<ProgramGroup> {
    return groupById(this.em.fork(), groupId);
  }

  async page(
    groupId: string,
    filter: ParticipantFilter,
  ): Promise<{ group: ProgramGroup; rows: ParticipantListRow[]; nextAfter: string | null }> {
    const em = this.em.fork();
    const group = await groupById(em, groupId);
    const page = await this.list.page(em, {
      groupIds: [group.id],
      stage: filter.stage,
      search: filter.search ? { text: filter.search, match: 'exact' } : undefined,
      sort: 'newest',
      after: filter.after,
      limit: filter.limit,
    });
    return { group, ...page };
  }

  async details(groupId: string, ogscId: string): Promise<{ group: ProgramGroup; participant: ParticipantDetails }> {
    const em = this.em.fork();
    const group = await groupById(em, groupId);
    const [row] = await em.execute<
      (DetailsRow & {
        invited_at: Date | null;
        link_opened_at: Date | null;
        consented_scopes: string | null;
        withdrawn_at: Date | null;
        withdrawn_by: string | null;
        first_reading_at: Date | null;
        last_reading_at: Date | null;
        must_change_password: boolean;
        credentials_expire_at: Date | null;
        last_sign_in_at: Date | null;
        state_changed_at: Date | null;
        state_reason: string | null;
      })[]
    >(
      `select e.id as enrollment_id, p.ogsc_id, p.login_id, p.enrollment_method, e.internal_customer_id, e.status,
         ${FUNNEL_STAGE_SQL} as stage, ${GROUP_CONNECTION_SQL} as connection_state, e.created_at, e.consented_at, e.invited_at, e.link_opened_at, e.consented_scopes, e.withdrawn_at, e.withdrawn_by, e.first_reading_at,
         e.last_reading_at, p.must_change_password, p.credentials_expire_at, p.last_sign_in_at, c.state_changed_at, c.state_reason
       ${FROM_SQL} where e.group_id = ? and p.ogsc_id = ?`,
      [this.staleBefore(), group.id, ogscId],
    );
    if (!row) throw new NotFoundException();
    return {
      group,
      participant: {
        enrollmentId: row.enrollment_id,
        ogscId: row.ogsc_id,
        loginId: row.login_id,
        enrollmentMethod: row.enrollment_method,
        internalCustomerId: row.internal_customer_id,
        status: row.status,
        stage: row.stage,
        connectionState: row.connection_state,
        createdAt: new Date(row.created_at),
        consentedAt: row.consented_at ? new Date(row.consented_at) : null,
        invitedAt: row.invited_at,
        linkOpenedAt: row.link_opened_at,
        consentedScopes: row.consented_scopes,
        withdrawnAt: row.withdrawn_at,
        withdrawnBy: row.withdrawn_by,
        firstReadingAt: row.first_reading_at,
        lastReadingAt: row.last_reading_at,
        mustChangePassword: row.must_change_password,
        credentialsExpireAt: row.credentials_expire_at,
        lastSignInAt: row.last_sign_in_at,
        connectionStateChangedAt: row.state_changed_at,
        connectionStateReason: row.state_reason,
      },
    };
  }

  /** The funnel and connection-state counts of a group, in one aggregate query over the group's enrollments. */
  async funnel(groupId: string): Promise<{ group: ProgramGroup; funnel: GroupFunnel }> {
    const em = this.em.fork();
    const group = await groupById(em, groupId);
    // One pass over the group's enrollments: every count of the funnel is a sum over its (stage, connection state)
    // cells, so the stages, the connection states and the stages reached come from the same rows, read from the
    // covering indexes of Migration20261206191000_group_member_indexes alone.
    const [cells, [invitations], linkOpens] = await Promise.all([
      em.execute<
        {
          stage: FunnelStage;
          state: GroupConnectionState;
          count: string;
          invited: string;
          link_opened: string;
          consented: string;
          first_reading: string;
        }[]
      >(
        `select ${FUNNEL_STAGE_SQL} as stage, ${GROUP_CONNECTION_SQL} as state, count(*) as count,
                count(e.invited_at) as invited,
                count(*) filter (where e.link_opened_at is not null or e.consented_at is not null) as link_opened,
                count(e.consented_at) as consented,
                count(e.first_reading_at) as first_reading
           ${FUNNEL_FROM_SQL} where e.group_id = ? group by 1, 2`,
        [this.staleBefore(), group.id],
      ),
      em.execute<{ count: string }[]>(`select count(distinct recipient_hash) as count from consent_invitation where group_id = ?`, [
        group.id,
      ]),
      // Link openings are counted by libs/consent, per group and day.
      this.consentActivity.linkOpens(em, group.id),
    ]);
    const sum = (column: 'count' | 'invited' | 'link_opened' | 'consented' | 'first_reading') =>
      cells.reduce((total, cell) => total + Number(cell[column]), 0);
    const by = <K extends string>(key: (cell: (typeof cells)[number]) => K): [K, string][] => {
      const totals = new Map<K, number>();
      for (const cell of cells) totals.set(key(cell), (totals.get(key(cell)) ?? 0) + Number(cell.count));
      return [...totals].map(([name, count]) => [name, String(count)]);
    };
    return {
      group,
      funnel: {
        staleAfterDays: this.config.participants.staleAfterDays,
        reached: {
          invited: sum('invited'),
          link_opened: sum('link_opened'),
          consented: sum('consented'),
          first_reading: sum('first_reading'),
        },
        current: counts(
          FUNNEL_STAGES,
          by((cell) => cell.stage),
        ),
        connections: counts(
          GROUP_CONNECTION_STATES,
          by((cell) => cell.state),
        ),
        emailInvitations: Number(invitations.count),
        linkOpens,
        total: sum('count'),
      },
    };
  }

  private staleBefore(): Date {
    return staleCutoff(this.config.participants.staleAfterDays);
  }
}

function counts<K extends string>(keys: readonly K[], entries: [K, string][]): Record<K, number> {
  const result = Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
  for (const [key, count] of entries) if (key in result) result[key] = Number(count);
  return result;
}
