import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { connectionJoinSql } from '@opendsp/tokens';
import { FUNNEL_STAGE_SQL } from './enrollment-funnel.rules.js';

/** A group's enrollments counted by the funnel's rules (enrollment-funnel.rules.ts). */
export interface GroupEnrollmentCounts {
  invited: number;
  consented: number;
  firstReading: number;
  /** The `receiving` stage. */
  active: number;
  stale: number;
  withdrawn: number;
  /** Consented enrollments whose participant's OMRON connection needs reconnecting. */
  reconnectNeeded: number;
}

/** A piece of SQL with `?` placeholders and its parameters, in order. */
interface SqlRows {
  sql: string;
  params: unknown[];
}

/**
 * Counts over every group's enrollments for another room's aggregate (the dashboard's snapshot): one statement
 * per question, whatever the number of participants, each answered per group (internal ID).
 */
@Injectable()
export class EnrollmentCounts {
  /** Each group's funnel and reconnect-needed counts; groups without enrollments are left out. */
  async byGroup(em: EntityManager, staleCutoff: Date): Promise<Map<string, GroupEnrollmentCounts>> {
    const connection = em.getConnection();
    const context = em.getTransactionContext();
    const funnel = await connection.execute<Record<string, string>[]>(
      `select group_id,
                count(*) as invited,
                count(*) filter (where status = 'consented') as consented,
                count(*) filter (where status = 'consented' and first_reading_at is not null) as first_reading,
                count(*) filter (where stage = 'receiving') as active,
                count(*) filter (where stage = 'stale') as stale,
                count(*) filter (where stage = 'withdrawn') as withdrawn
           from (select e.group_id, e.status, e.first_reading_at, ${FUNNEL_STAGE_SQL} as stage from enrollment e) stages
          group by group_id`,
      [staleCutoff.toISOString()],
      'all',
      context,
    );
    const reconnect = await connection.execute<{ group_id: string; reconnect_needed: string }[]>(
      `select e.group_id, count(*) as reconnect_needed
           from enrollment e join participant p on p.id = e.participant_id ${connectionJoinSql('p.omron_user_id')}
          where e.status = 'consented' and c.state = 'reconnect_needed'
          group by e.group_id`,
      [],
      'all',
      context,
    );
    const counts = new Map<string, GroupEnrollmentCounts>();
    const empty = (): GroupEnrollmentCounts => ({
      invited: 0,
      consented: 0,
      firstReading: 0,
      active: 0,
      stale: 0,
      withdrawn: 0,
      reconnectNeeded: 0,
    });
    for (const row of funnel) {
      counts.set(row.group_id, {
        ...empty(),
        invited: Number(row.invited),
        consented: Number(row.consented),
        firstReading: Number(row.first_reading),
        active: Number(row.active),
        stale: Number(row.stale),
        withdrawn: Number(row.withdrawn),
      });
    }
    for (const row of reconnect) {
      const group = counts.get(row.group_id) ?? empty();
      counts.set(row.group_id, { ...group, reconnectNeeded: Number(row.reconnect_needed) });
    }
    return counts;
  }

  /**
   * Sums another room's per-participant figures over each group's consented enrollments: `rows` yields
   * `participant_id` and the numeric `columns`. Withdrawn and invited participants count nowhere; a participant
   * consented in two groups counts in both.
   */
  async sumsByConsentedGroup<C extends string>(
    em: EntityManager,
    rows: SqlRows,
    columns: readonly C[],
  ): Promise<Map<string, Record<C, number>>> {
    const sums = await em.getConnection().execute<Record<string, string>[]>(
      `select e.group_id, ${columns.map((column) => `sum(r.${column}) as ${column}`).join(', ')}
         from (${rows.sql}) r join enrollment e on e.participant_id = r.participant_id and e.status = 'consented'
        group by e.group_id`,
      rows.params,
      'all',
      em.getTransactionContext(),
    );
    return new Map(
      sums.map((row) => [row.group_id, Object.fromEntries(columns.map((column) => [column, Number(row[column])])) as Record<C, number>]),
    );
  }
}
