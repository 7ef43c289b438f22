import { Injectable, NotFoundException } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import type { ProgramGroup } from '@opendsp/groups';
import type { EnrollmentMethod } from '../participant.entity.js';
import type { EnrollmentStatus } from '../enrollment.entity.js';
import { groupById } from '../group-lookup.js';
import { normaliseLoginId } from '../provisioning/credentials.js';

/**
 * Where a participant stands in a group's enrollment funnel, derived from the enrollment:
 * `invited` → `link_opened` → `consented` (OGSC ID issued, no data yet) → `receiving` (first reading in,
 * data within STALE_AFTER_DAYS) → `stale` (consented, no data for STALE_AFTER_DAYS); or `withdrawn`.
 */
export const FUNNEL_STAGES = ['invited', 'link_opened', 'consented', 'receiving', 'stale', 'withdrawn'] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];

/** A participant's OMRON connection as the group sees it: the token store's state, or none yet, or withdrawn from this group. */
export const GROUP_CONNECTION_STATES = ['active', 'refreshing', 'reconnect_needed', 'revoked', 'withdrawn', 'not_connected'] as const;
export type GroupConnectionState = (typeof GROUP_CONNECTION_STATES)[number];

export interface ParticipantRow {
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
}

export interface ParticipantDetails extends ParticipantRow {
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

export interface ParticipantFilter {
  stage?: FunnelStage;
  /** Exact OGSC ID, login ID or internal customer ID. */
  search?: string;
  /** Keyset cursor from the previous page. */
  after?: string;
  limit: number;
}

// `?` is the "stale before" instant; everything here is derived from the enrollment row alone.
const STAGE_SQL = `case
  when e.status = 'withdrawn' then 'withdrawn'
  when e.status = 'invited' then 'invited'
  when e.status = 'link_opened' then 'link_opened'
  when coalesce(e.last_reading_at, e.first_reading_at, e.consented_at) < ? then 'stale'
  when e.first_reading_at is not null then 'receiving'
  else 'consented' end`;

const CONNECTION_SQL = `case when e.status = 'withdrawn' then 'withdrawn' when c.id is null then 'not_connected' else c.state end`;

const FROM_SQL = `from enrollment e
  join participant p on p.id = e.participant_id
  left join omron_connection c on c.omron_user_id = p.omron_user_id`;

interface RawRow {
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

/**
 * Read side of a group's participants for admins: the list (keyset-paginated, filterable by funnel stage),
 * one participant's details, and the funnel and connection-state counts.
 */
@Injectable()
export class ParticipantDirectory {
  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
  ) {}

  /** The group by its public ID (404 when there is none; the portal's guard has checked the admin may see it). */
  async group(groupId: string): Promise<ProgramGroup> {
    return groupById(this.em.fork(), groupId);
  }

  async page(
    groupId: string,
    filter: ParticipantFilter,
  ): Promise<{ group: ProgramGroup; rows: ParticipantRow[]; nextAfter: string | null }> {
    const em = this.em.fork();
    const group = await groupById(em, groupId);
    const params: unknown[] = [this.staleBefore(), group.id];
    let where = 'e.group_id = ?';
    if (filter.stage) {
      where += ` and (${STAGE_SQL}) = ?`;
      params.push(this.staleBefore(), filter.stage);
    }
    if (filter.search) {
      where += ' and (p.ogsc_id = ? or p.login_id = ? or e.internal_customer_id = ?)';
      params.push(filter.search, normaliseLoginId(filter.search), filter.search);
    }
    const cursor = parseCursor(filter.after);
    if (cursor) {
      where += ' and (e.created_at, e.id) < (?, ?)';
      params.push(cursor.createdAt, cursor.id);
    }
    const rows = await em
      .getConnection()
      .execute<RawRow[]>(
        `select ${ROW_COLUMNS} ${FROM_SQL} where ${where} order by e.created_at desc, e.id desc limit ${filter.limit + 1}`,
        params,
      );
    const shown = rows.slice(0, filter.limit).map(toRow);
    const last = shown.at(-1);
    return {
      group,
      rows: shown,
      nextAfter: rows.length > filter.limit && last ? `${last.createdAt.toISOString()}~${last.enrollmentId}` : null,
    };
  }

  async details(groupId: string, ogscId: string): Promise<{ group: ProgramGroup; participant: ParticipantDetails }> {
    const em = this.em.fork();
    const group = await groupById(em, groupId);
    const [row] = await em.getConnection().execute<
      (RawRow & {
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
      `select ${ROW_COLUMNS}, e.invited_at, e.link_opened_at, e.consented_scopes, e.withdrawn_at, e.withdrawn_by, e.first_reading_at,
         e.last_reading_at, p.must_change_password, p.credentials_expire_at, p.last_sign_in_at, c.state_changed_at, c.state_reason
       ${FROM_SQL} where e.group_id = ? and p.ogsc_id = ?`,
      [this.staleBefore(), group.id, ogscId],
    );
    if (!row) throw new NotFoundException();
    return {
      group,
      participant: {
        ...toRow(row),
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

  /** The funnel and connection-state counts of a group, in three aggregate queries over the group's enrollments. */
  async funnel(groupId: string): Promise<{ group: ProgramGroup; funnel: GroupFunnel }> {
    const em = this.em.fork();
    const group = await groupById(em, groupId);
    const connection = em.getConnection();
    const [reached] = await connection.execute<
      { invited: string; link_opened: string; consented: string; first_reading: string; total: string }[]
    >(
      `select count(*) filter (where e.invited_at is not null) as invited,
              count(*) filter (where e.link_opened_at is not null or e.consented_at is not null) as link_opened,
              count(*) filter (where e.consented_at is not null) as consented,
              count(*) filter (where e.first_reading_at is not null) as first_reading,
              count(*) as total
         from enrollment e where e.group_id = ?`,
      [group.id],
    );
    const stages = await connection.execute<{ stage: FunnelStage; count: string }[]>(
      `select ${STAGE_SQL} as stage, count(*) as count from enrollment e where e.group_id = ? group by 1`,
      [this.staleBefore(), group.id],
    );
    const states = await connection.execute<{ state: GroupConnectionState; count: string }[]>(
      `select ${CONNECTION_SQL} as state, count(*) as count ${FROM_SQL} where e.group_id = ? group by 1`,
      [group.id],
    );
    const [invitations] = await connection.execute<{ count: string }[]>(
      `select count(distinct recipient_hash) as count from consent_invitation where group_id = ?`,
      [group.id],
    );
    const [opens] = await connection.execute<{ total: string | null; last7: string | null }[]>(
      `select sum(opens) as total, sum(opens) filter (where day > (current_date - 7)) as last7 from consent_link_open where group_id = ?`,
      [group.id],
    );
    return {
      group,
      funnel: {
        staleAfterDays: this.config.participants.staleAfterDays,
        reached: {
          invited: Number(reached.invited),
          link_opened: Number(reached.link_opened),
          consented: Number(reached.consented),
          first_reading: Number(reached.first_reading),
        },
        current: counts(
          FUNNEL_STAGES,
          stages.map((row) => [row.stage, row.count]),
        ),
        connections: counts(
          GROUP_CONNECTION_STATES,
          states.map((row) => [row.state, row.count]),
        ),
        emailInvitations: Number(invitations.count),
        linkOpens: { total: Number(opens.total ?? 0), last7Days: Number(opens.last7 ?? 0) },
        total: Number(reached.total),
      },
    };
  }

  private staleBefore(): Date {
    return new Date(Date.now() - this.config.participants.staleAfterDays * 86_400_000);
  }
}

const ROW_COLUMNS = `e.id as enrollment_id, p.ogsc_id, p.login_id, p.enrollment_method, e.internal_customer_id, e.status,
  ${STAGE_SQL} as stage, ${CONNECTION_SQL} as connection_state, e.created_at, e.consented_at`;

function toRow(row: RawRow): ParticipantRow {
  return {
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
  };
}

function counts<K extends string>(keys: readonly K[], entries: [K, string][]): Record<K, number> {
  const result = Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
  for (const [key, count] of entries) if (key in result) result[key] = Number(count);
  return result;
}

function parseCursor(value: string | undefined): { createdAt: Date; id: string } | null {
  const match = value ? /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)~([0-9a-f-]{36})$/.exec(value) : null;
  if (!match) return null;
  const createdAt = new Date(match[1]);
  return Number.isNaN(createdAt.getTime()) ? null : { createdAt, id: match[2] };
}
