import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { PortalUser } from '@opendsp/admin-auth';
import { DspConfig } from '@opendsp/config';
import { GroupsService } from '@opendsp/groups';
import type { EnrollmentMethod, EnrollmentStatus } from '@opendsp/participants';
import type { ConnectionState } from '@opendsp/tokens';
import { DataScope } from '../data-scope.js';
import { parseCursor, type ParticipantFilters, type ParticipantSort } from './participant-filters.js';

/** One row of the list: an enrollment (participant × group), so a person in two groups has two rows. */
export interface ParticipantListRow {
  enrollmentId: string;
  ogscId: string;
  loginId: string | null;
  enrollmentMethod: EnrollmentMethod;
  groupId: string;
  groupName: string;
  internalCustomerId: string | null;
  status: EnrollmentStatus;
  consentedAt: Date | null;
  firstReadingAt: Date | null;
  lastReadingAt: Date | null;
  createdAt: Date;
  connectionState: ConnectionState | null;
  /** Consented, had readings, none within STALE_AFTER_DAYS. */
  stale: boolean;
}

const LAST_READING = `coalesce(e.last_reading_at, '-infinity'::timestamptz)`;
const UTC_MICROS = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Per sort: the ORDER BY, the keyset comparison, and the cursor value of a row (instants to the microsecond). */
const SORTS: Record<ParticipantSort, { order: string; after: string; cursor: string }> = {
  newest: {
    order: 'e.created_at desc, e.id desc',
    after: '(e.created_at, e.id) < (?::timestamptz, ?::uuid)',
    cursor: UTC_MICROS('e.created_at'),
  },
  last_reading: {
    order: `${LAST_READING} desc, e.id desc`,
    after: `(${LAST_READING}, e.id) < (?::timestamptz, ?::uuid)`,
    cursor: `case when e.last_reading_at is null then '-infinity' else ${UTC_MICROS('e.last_reading_at')} end`,
  },
  quiet: {
    order: `${LAST_READING} asc, e.id asc`,
    after: `(${LAST_READING}, e.id) > (?::timestamptz, ?::uuid)`,
    cursor: `case when e.last_reading_at is null then '-infinity' else ${UTC_MICROS('e.last_reading_at')} end`,
  },
  // The row comparison spans two tables, so it cannot bound an index scan; `p.ogsc_id >= ?` can.
  ogsc_id: { order: 'p.ogsc_id asc, e.id asc', after: 'p.ogsc_id >= ? and (p.ogsc_id, e.id) > (?, ?::uuid)', cursor: 'p.ogsc_id' },
};

/** `LIKE` pattern for an exact match, or a prefix match from three characters on. */
function likePattern(value: string): string {
  const escaped = value.replace(/[\\%_]/g, (character) => `\\${character}`);
  return value.length >= 3 ? `${escaped}%` : escaped;
}

/**
 * The cross-group participant list: search, filters, four orders and keyset pagination, all in one SQL
 * statement whose every order has an index (see Migration20261123155000_data_views), so page 2,000 of
 * 100,000 participants costs what page 1 does.
 */
@Injectable()
export class ParticipantList {
  constructor(
    private readonly em: EntityManager,
    private readonly groups: GroupsService,
    private readonly scope: DataScope,
    private readonly config: DspConfig,
  ) {}

  async page(user: PortalUser, filters: ParticipantFilters, limit = 50): Promise<{ rows: ParticipantListRow[]; nextAfter: string | null }> {
    const em = this.em.fork();
    const query = await this.query(em, user, filters, limit + 1);
    if (!query) return { rows: [], nextAfter: null };
    const found = await this.run<Record<string, unknown>>(em, query.sql, query.params);
    const shown = found.slice(0, limit);
    const last = shown.at(-1);
    const cutoff = Date.parse(query.staleCutoff);
    return {
      rows: shown.map((row) => toRow(row, cutoff)),
      nextAfter: found.length > limit && last ? `${String(last.cursor_value)}~${String(last.id)}` : null,
    };
  }

  /** The plan of the statement the page runs for these filters (`EXPLAIN`, optionally `ANALYZE`), for tests and the bench. */
  async explain(user: PortalUser, filters: ParticipantFilters, options: { analyze?: boolean } = {}): Promise<string> {
    const em = this.em.fork();
    const query = await this.query(em, user, filters, 51);
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
   * The list's SQL statement and parameters for a user and filters (null: the user sees no group), so tests
   * and the bench can EXPLAIN exactly what the page runs.
   */
  async query(
    em: EntityManager,
    user: PortalUser,
    filters: ParticipantFilters,
    limit: number,
  ): Promise<{ sql: string; params: unknown[]; staleCutoff: string } | null> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (condition: string, ...values: unknown[]) => {
      where.push(condition);
      params.push(...values);
    };

    if (filters.group) {
      // 404 for a group that does not exist or is not the user's.
      const group = await this.groups.visibleGroup(em, user, filters.group);
      add('e.group_id = ?', group.id);
    } else {
      const { groupIds } = await this.scope.of(em, user);
      if (groupIds !== null) {
        if (groupIds.length === 0) return null;
        add(`e.group_id in (${groupIds.map(() => '?').join(', ')})`, ...groupIds);
      }
    }
    if (filters.q) {
      const q = filters.q;
      add(
        `e.id in (
          select e2.id from enrollment e2 join participant p2 on p2.id = e2.participant_id where p2.ogsc_id like ? escape '\\'
          union select e2.id from enrollment e2 join participant p2 on p2.id = e2.participant_id where p2.login_id like ? escape '\\'
          union select e2.id from enrollment e2 where e2.internal_customer_id like ? escape '\\')`,
        likePattern(q.toUpperCase()),
        likePattern(q),
        likePattern(q),
      );
    }
    if (filters.method) add('p.enrollment_method = ?', filters.method);
    if (filters.consent) add('e.status = ?', filters.consent);
    if (filters.connection === 'none') add('c.id is null');
    else if (filters.connection) add('c.state = ?', filters.connection);

    const now = Date.now();
    const staleCutoff = new Date(now - this.config.participants.staleAfterDays * 86_400_000).toISOString();
    switch (filters.reading) {
      case '24h':
        add(`${LAST_READING} >= ?::timestamptz`, new Date(now - 86_400_000).toISOString());
        break;
      case '7d':
        add(`${LAST_READING} >= ?::timestamptz`, new Date(now - 7 * 86_400_000).toISOString());
        break;
      case 'recent':
        add(`${LAST_READING} >= ?::timestamptz`, staleCutoff);
        break;
      case 'stale':
        add(`${LAST_READING} < ?::timestamptz and ${LAST_READING} > '-infinity'::timestamptz`, staleCutoff);
        break;
      case 'never':
        add(`${LAST_READING} = '-infinity'::timestamptz`);
        break;
      case 'any':
        add(`${LAST_READING} > '-infinity'::timestamptz`);
        break;
    }

    const sort = SORTS[filters.sort];
    const cursor = filters.after ? parseCursor(filters.sort, filters.after) : null;
    if (cursor) add(sort.after, ...(filters.sort === 'ogsc_id' ? [cursor.value] : []), cursor.value, cursor.id);

    const sql = `select e.id, e.status, e.internal_customer_id, e.consented_at, e.first_reading_at, e.last_reading_at, e.created_at,
        p.ogsc_id, p.login_id, p.enrollment_method, g.group_id as public_group_id, g.display_name as group_name,
        c.state as connection_state, ${sort.cursor} as cursor_value
      from enrollment e
      join participant p on p.id = e.participant_id
      join program_group g on g.id = e.group_id
      left join omron_connection c on c.omron_user_id = p.omron_user_id
      ${where.length ? `where ${where.join(' and ')}` : ''}
      order by ${sort.order}
      limit ?`;
    return { sql, params: [...params, limit], staleCutoff };
  }
}

function toRow(row: Record<string, unknown>, staleCutoff: number): ParticipantListRow {
  const lastReadingAt = toDate(row.last_reading_at);
  return {
    enrollmentId: String(row.id),
    ogscId: String(row.ogsc_id),
    loginId: (row.login_id as string | null) ?? null,
    enrollmentMethod: row.enrollment_method as EnrollmentMethod,
    groupId: String(row.public_group_id),
    groupName: String(row.group_name),
    internalCustomerId: (row.internal_customer_id as string | null) ?? null,
    status: row.status as EnrollmentStatus,
    consentedAt: toDate(row.consented_at),
    firstReadingAt: toDate(row.first_reading_at),
    lastReadingAt,
    createdAt: toDate(row.created_at)!,
    connectionState: (row.connection_state as ConnectionState | null) ?? null,
    stale: row.status === 'consented' && lastReadingAt !== null && lastReadingAt.getTime() < staleCutoff,
  };
}

export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value));
}
