import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { GroupLookups, type GroupLabel } from '@opendsp/groups';
import { encodeCursor, ISO_MICROS, parseCursor, UUID } from '@opendsp/pagination';
import { CONNECTION_STATES, connectionJoinSql, type ConnectionState } from '@opendsp/tokens';
import type { EnrollmentStatus } from '../enrollment.entity.js';
import type { EnrollmentMethod } from '../participant.entity.js';
import { normaliseLoginId } from '../provisioning/credentials.rules.js';
import {
  FUNNEL_STAGE_SQL,
  GROUP_CONNECTION_SQL,
  staleCutoff,
  type FunnelStage,
  type GroupConnectionState,
} from './enrollment-funnel.rules.js';

export const PARTICIPANT_SORTS = ['newest', 'last_reading', 'quiet', 'ogsc_id'] as const;
export type ParticipantSort = (typeof PARTICIPANT_SORTS)[number];

/** Last-reading filters: within 24 h / 7 days / STALE_AFTER_DAYS (`recent`), older (`stale`), `never`, or `any`. */
export const READING_FILTERS = ['24h', '7d', 'recent', 'stale', 'never', 'any'] as const;
export type ReadingFilter = (typeof READING_FILTERS)[number];

/** OMRON connection states, and `none` for participants who have not connected an OMRON account. */
export const CONNECTION_FILTERS = [...CONNECTION_STATES, 'none'] as const;
export type ConnectionFilter = ConnectionState | 'none';

/** What a participant list shows: enrollments of some groups, narrowed and ordered. */
export interface ParticipantListCriteria {
  /** Internal IDs of the groups whose enrollments are listed; null: every group. */
  groupIds: string[] | null;
  /** Narrows the list to one group (an internal ID) while `groupIds` stays the scope, as `changedSince` sees it. */
  groupId?: string;
  /** Only the participant with this OGSC ID. */
  ogscId?: string;
  /**
   * OGSC ID, login ID or internal customer ID: `exact` (the login ID as typed on a credential sheet, normalised),
   * or `prefix` (a prefix from three characters on, exact below).
   */
  search?: { text: string; match: 'exact' | 'prefix' };
  stage?: FunnelStage;
  method?: EnrollmentMethod;
  status?: EnrollmentStatus;
  connection?: ConnectionFilter;
  reading?: ReadingFilter;
  sort: ParticipantSort;
  /** The `nextAfter` of the previous page; one that is not a cursor of this sort starts from the first page. */
  after?: string;
  limit: number;
}

/**
 * A list of people rather than enrollments (the REST API's): each participant once, by OGSC ID, when one of
 * their enrollments matches; `after` is the last OGSC ID of the previous page.
 */
export interface ParticipantPeopleCriteria extends Omit<ParticipantListCriteria, 'sort'> {
  /** Only participants changed at or after this instant: themselves, an enrollment in `groupIds`, their OMRON connection. */
  changedSince?: Date;
}

/** One participant of a people list; instants as ISO 8601 UTC strings with milliseconds, formatted by PostgreSQL. */
export interface ParticipantPeopleRow {
  participantId: string;
  ogscId: string;
  enrollmentMethod: EnrollmentMethod;
  loginId: string | null;
  omronUserId: string | null;
  createdAt: string;
  /** The latest change of the participant, their enrollments in `groupIds` or their OMRON connection. */
  changedAt: string;
}

/** One row of a list: an enrollment (participant × group), so a person in two groups of the list has two rows. */
export interface ParticipantListRow {
  enrollmentId: string;
  ogscId: string;
  loginId: string | null;
  enrollmentMethod: EnrollmentMethod;
  groupId: string;
  groupName: string;
  internalCustomerId: string | null;
  status: EnrollmentStatus;
  stage: FunnelStage;
  /** Consented, had readings, none within STALE_AFTER_DAYS: the `stale` stage. */
  stale: boolean;
  /** The token store's state, or null when the participant has not connected an OMRON account. */
  connectionState: ConnectionState | null;
  groupConnectionState: GroupConnectionState;
  consentedAt: Date | null;
  firstReadingAt: Date | null;
  lastReadingAt: Date | null;
  createdAt: Date;
}

const LAST_READING = `coalesce(e.last_reading_at, '-infinity'::timestamptz)`;
const UTC_MICROS = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const UTC_MILLIS = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const OGSC_ID = /^OG-[0-9A-Z]{24}$/;
const INSTANT_OR_NEVER = /^(-infinity|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)$/;

/** Per sort: the ORDER BY, the keyset comparison, the cursor value of a row (instants to the microsecond) and its pattern. */
const SORTS: Record<ParticipantSort, { order: string; after: string; cursor: string; pattern: RegExp }> = {
  newest: {
    order: 'e.created_at desc, e.id desc',
    after: '(e.created_at, e.id) < (?::timestamptz, ?::uuid)',
    cursor: UTC_MICROS('e.created_at'),
    pattern: ISO_MICROS,
  },
  last_reading: {
    order: `${LAST_READING} desc, e.id desc`,
    after: `(${LAST_READING}, e.id) < (?::timestamptz, ?::uuid)`,
    cursor: `case when e.last_reading_at is null then '-infinity' else ${UTC_MICROS('e.last_reading_at')} end`,
    pattern: INSTANT_OR_NEVER,
  },
  quiet: {
    order: `${LAST_READING} asc, e.id asc`,
    after: `(${LAST_READING}, e.id) > (?::timestamptz, ?::uuid)`,
    cursor: `case when e.last_reading_at is null then '-infinity' else ${UTC_MICROS('e.last_reading_at')} end`,
    pattern: INSTANT_OR_NEVER,
  },
  // The row comparison spans two tables, so it cannot bound an index scan; `p.ogsc_id >= ?` can.
  ogsc_id: {
    order: 'p.ogsc_id asc, e.id asc',
    after: 'p.ogsc_id >= ? and (p.ogsc_id, e.id) > (?, ?::uuid)',
    cursor: 'p.ogsc_id',
    pattern: OGSC_ID,
  },
};

/** A list cursor is `<sort value>~<enrollment id>`: an instant with microseconds (or `-infinity`), or an OGSC ID. */
export function parseParticipantCursor(sort: ParticipantSort, cursor: unknown): { value: string; id: string } | null {
  const parts = parseCursor(cursor, [SORTS[sort].pattern, UUID]);
  if (!parts || (parts[0] !== '-infinity' && sort !== 'ogsc_id' && Number.isNaN(Date.parse(parts[0])))) return null;
  return { value: parts[0], id: parts[1] };
}

/** `LIKE` pattern for an exact match, or a prefix match from three characters on. */
function likePattern(value: string): string {
  const escaped = value.replace(/[\\%_]/g, (character) => `\\${character}`);
  return value.length >= 3 ? `${escaped}%` : escaped;
}

/**
 * The participant list: one SQL statement behind a group's participant page and the portal's cross-group
 * list. Search, filters (funnel stage among them), four orders and keyset pagination; every order has an
 * index (see Migration20261123155000_data_views), so page 2,000 of 100,000 participants costs what page 1 does.
 */
@Injectable()
export class ParticipantListQuery {
  /** The groups room's lookups: stateless, so this service keeps its own. */
  private readonly groups = new GroupLookups();

  constructor(private readonly config: DspConfig) {}

  async page(em: EntityManager, criteria: ParticipantListCriteria): Promise<{ rows: ParticipantListRow[]; nextAfter: string | null }> {
    const query = this.statement(criteria, criteria.limit + 1);
    if (!query) return { rows: [], nextAfter: null };
    const found = await this.run<Record<string, unknown>>(em, query.sql, query.params);
    const shown = found.slice(0, criteria.limit);
    const last = shown.at(-1);
    // The groups' public IDs and names are the groups room's: one statement for the page's groups.
    const labels = await this.groups.labelsOf(
      em,
      shown.map((row) => String(row.group_uuid)),
    );
    return {
      rows: shown.map((row) => toRow(row, labels.get(String(row.group_uuid))!)),
      nextAfter: found.length > criteria.limit && last ? encodeCursor([String(last.cursor_value), String(last.id)]) : null,
    };
  }

  /** The same list, one row per participant: the people with an enrollment that matches, by OGSC ID. */
  async people(
    em: EntityManager,
    criteria: ParticipantPeopleCriteria,
  ): Promise<{ rows: ParticipantPeopleRow[]; nextAfter: string | null }> {
    const query = this.statement({ ...criteria, sort: 'ogsc_id' }, criteria.limit + 1, { changedSince: criteria.changedSince });
    if (!query) return { rows: [], nextAfter: null };
    const found = await this.run<Record<string, unknown>>(em, query.sql, query.params);
    const rows = found.slice(0, criteria.limit).map((row) => ({
      participantId: String(row.participant_id),
      ogscId: String(row.ogsc_id),
      enrollmentMethod: row.enrollment_method as EnrollmentMethod,
      loginId: (row.login_id as string | null) ?? null,
      omronUserId: (row.omron_user_id as string | null) ?? null,
      createdAt: String(row.participant_created_at),
      changedAt: String(row.changed_at),
    }));
    return { rows, nextAfter: found.length > criteria.limit ? rows.at(-1)!.ogscId : null };
  }

  /** The plan of the statement `page` runs for these criteria (`EXPLAIN`, optionally `ANALYZE`), for tests and the bench. */
  explain(em: EntityManager, criteria: ParticipantListCriteria, options: { analyze?: boolean } = {}): Promise<string> {
    return this.plan(em, this.statement(criteria, criteria.limit + 1), options);
  }

  /** The plan of the statement `people` runs for these criteria. */
  explainPeople(em: EntityManager, criteria: ParticipantPeopleCriteria, options: { analyze?: boolean } = {}): Promise<string> {
    return this.plan(
      em,
      this.statement({ ...criteria, sort: 'ogsc_id' }, criteria.limit + 1, { changedSince: criteria.changedSince }),
      options,
    );
  }

  private async plan(em: EntityManager, query: { sql: string; params: unknown[] } | null, options: { analyze?: boolean }): Promise<string> {
    if (!query) return '';
    const rows = await this.run<{ 'QUERY PLAN': string }>(em, `explain ${options.analyze ? '(analyze) ' : ''}${query.sql}`, query.params);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  }

  private run<T>(em: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
    return em.transactional(async (tx) => {
      const connection = tx.getConnection();
      const context = tx.getTransactionContext();
      // A page of 51 rows never gains from parallel workers: they start slowly and each reads on past the
      // limit (with 2 % of connections needing a reconnect, 19,000 enrollments read with workers, 2,750 without).
      await connection.execute('set local max_parallel_workers_per_gather = 0', [], 'run', context);
      return connection.execute<T[]>(sql, params, 'all', context);
    });
  }

  /**
   * The statement and its parameters (null: an empty set of groups, nothing to list). With `people`, one row
   * per participant with a matching enrollment (the same conditions), keyset on the OGSC ID alone, with their latest change.
   */
  private statement(
    criteria: ParticipantListCriteria,
    limit: number,
    people?: { changedSince?: Date },
  ): { sql: string; params: unknown[] } | null {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (condition: string, ...values: unknown[]) => {
      where.push(condition);
      params.push(...values);
    };
    const now = Date.now();
    const cutoff = staleCutoff(this.config.participants.staleAfterDays, now).toISOString();

    const inScope = (column: string) =>
      criteria.groupIds === null ? 'true' : `${column} in (${criteria.groupIds.map(() => '?').join(', ')})`;
    const scopeParams = criteria.groupIds ?? [];
    if (criteria.groupIds !== null) {
      if (criteria.groupIds.length === 0) return null;
      if (criteria.groupIds.length === 1) add('e.group_id = ?', criteria.groupIds[0]);
      else add(inScope('e.group_id'), ...criteria.groupIds);
    }
    if (criteria.groupId) add('e.group_id = ?', criteria.groupId);
    if (criteria.ogscId) add('p.ogsc_id = ?', criteria.ogscId);
    const search = criteria.search;
    if (search?.match === 'exact') {
      add('(p.ogsc_id = ? or p.login_id = ? or e.internal_customer_id = ?)', search.text, normaliseLoginId(search.text), search.text);
    } else if (search) {
      add(
        `e.id in (
          select e2.id from enrollment e2 join participant p2 on p2.id = e2.participant_id where p2.ogsc_id like ? escape '\\'
          union select e2.id from enrollment e2 join participant p2 on p2.id = e2.participant_id where p2.login_id like ? escape '\\'
          union select e2.id from enrollment e2 where e2.internal_customer_id like ? escape '\\')`,
        likePattern(search.text.toUpperCase()),
        likePattern(search.text),
        likePattern(search.text),
      );
    }
    if (criteria.stage) add(`(${FUNNEL_STAGE_SQL}) = ?`, cutoff, criteria.stage);
    if (criteria.method) add('p.enrollment_method = ?', criteria.method);
    if (criteria.status) add('e.status = ?', criteria.status);
    if (criteria.connection === 'none') add('c.id is null');
    else if (criteria.connection) add('c.state = ?', criteria.connection);

    switch (criteria.reading) {
      case '24h':
        add(`${LAST_READING} >= ?::timestamptz`, new Date(now - 86_400_000).toISOString());
        break;
      case '7d':
        add(`${LAST_READING} >= ?::timestamptz`, new Date(now - 7 * 86_400_000).toISOString());
        break;
      case 'recent':
        add(`${LAST_READING} >= ?::timestamptz`, cutoff);
        break;
      case 'stale':
        add(`${LAST_READING} < ?::timestamptz and ${LAST_READING} > '-infinity'::timestamptz`, cutoff);
        break;
      case 'never':
        add(`${LAST_READING} = '-infinity'::timestamptz`);
        break;
      case 'any':
        add(`${LAST_READING} > '-infinity'::timestamptz`);
        break;
    }

    // A participant's latest change as a client of `groupIds` sees it.
    if (people) {
      // One row per person: walk participants by OGSC ID (its unique index) and keep those with an
      // enrollment that meets the same conditions, evaluated beside the participant and their connection.
      const changedAt = `greatest(p.updated_at, c.updated_at,
        (select max(e2.updated_at) from enrollment e2 where e2.participant_id = p.id and ${inScope('e2.group_id')}))`;
      const outer = [
        `exists (select 1 from enrollment e where e.participant_id = p.id${where.map((condition) => ` and ${condition}`).join('')})`,
      ];
      const outerParams = [...params];
      const after = parseCursor(criteria.after, [OGSC_ID]);
      if (after) {
        outer.push('p.ogsc_id > ?');
        outerParams.push(after[0]);
      }
      if (people.changedSince) {
        outer.push(`${changedAt} >= ?::timestamptz`);
        outerParams.push(...scopeParams, people.changedSince.toISOString());
      }
      const sql = `select p.id as participant_id, p.ogsc_id, p.enrollment_method, p.login_id, p.omron_user_id,
          ${UTC_MILLIS('p.created_at')} as participant_created_at, ${UTC_MILLIS(changedAt)} as changed_at
        from participant p
        ${connectionJoinSql('p.omron_user_id')}
        where ${outer.join(' and ')}
        order by p.ogsc_id
        limit ?`;
      // The select list's parameters come first: the scope of `changed_at`.
      return { sql, params: [...scopeParams, ...outerParams, limit] };
    }

    const sort = SORTS[criteria.sort];
    const cursor = criteria.after ? parseParticipantCursor(criteria.sort, criteria.after) : null;
    if (cursor) add(sort.after, ...(criteria.sort === 'ogsc_id' ? [cursor.value] : []), cursor.value, cursor.id);

    const sql = `select e.id, e.status, e.internal_customer_id, e.consented_at, e.first_reading_at, e.last_reading_at, e.created_at,
        p.ogsc_id, p.login_id, p.enrollment_method, e.group_id as group_uuid,
        c.state as connection_state, ${GROUP_CONNECTION_SQL} as group_connection_state, ${FUNNEL_STAGE_SQL} as stage,
        ${sort.cursor} as cursor_value
      from enrollment e
      join participant p on p.id = e.participant_id
      ${connectionJoinSql('p.omron_user_id')}
      ${where.length ? `where ${where.join(' and ')}` : ''}
      order by ${sort.order}
      limit ?`;
    // The stage column's cutoff comes first: it is the select list's one parameter.
    return { sql, params: [cutoff, ...params, limit] };
  }
}

function toRow(row: Record<string, unknown>, group: GroupLabel): ParticipantListRow {
  const stage = row.stage as FunnelStage;
  return {
    enrollmentId: String(row.id),
    ogscId: String(row.ogsc_id),
    loginId: (row.login_id as string | null) ?? null,
    enrollmentMethod: row.enrollment_method as EnrollmentMethod,
    groupId: group.groupId,
    groupName: group.displayName,
    internalCustomerId: (row.internal_customer_id as string | null) ?? null,
    status: row.status as EnrollmentStatus,
    stage,
    stale: stage === 'stale',
    connectionState: (row.connection_state as ConnectionState | null) ?? null,
    groupConnectionState: row.group_connection_state as GroupConnectionState,
    consentedAt: toDate(row.consented_at),
    firstReadingAt: toDate(row.first_reading_at),
    lastReadingAt: toDate(row.last_reading_at),
    createdAt: toDate(row.created_at)!,
  };
}

function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value));
}
