import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * SQL condition for another room's statement over many readings, where asking per participant would not scale
 * (the REST API's reading pages and change feed): the participant in `participantColumn` has a consented
 * enrollment, aliased `e`, that meets `groupCondition` (a condition on `e.group_id`).
 */
export function consentedInGroupsSql(participantColumn: string, groupCondition: string): string {
  return `exists (select 1 from enrollment e where e.participant_id = ${participantColumn} and e.status = 'consented' and ${groupCondition})`;
}

/**
 * SQL for another room's statement over many readings: the OGSC ID of the participant in `participantColumn`,
 * as a scalar subquery on the participant's primary key (the API's JSON of a reading).
 */
export function ogscIdSql(participantColumn: string): string {
  return `(select p.ogsc_id from participant p where p.id = ${participantColumn})`;
}

/**
 * SQL for another room's statement over many readings (CSV exports): the rows `(participant_id, ogsc_id,
 * internal_customer_id)` of the consented enrollments of the group in `groupParameter` (a placeholder or a
 * column holding the group's internal ID). Withdrawn and invited participants are not in it. PostgreSQL
 * flattens it into the statement that joins it, so it costs what the joins written out did.
 */
export function consentedMembersSql(groupParameter: string): string {
  return `select e.participant_id, p.ogsc_id, e.internal_customer_id
    from enrollment e join participant p on p.id = e.participant_id
    where e.group_id = ${groupParameter} and e.status = 'consented'`;
}

/**
 * SQL for another room's statement that visits each member of one group once (libs/insights' adherence and
 * control lists): the same rows as `consentedMembersSql`, one per consented enrollment of the group in
 * `groupParameter`, read from indexes alone (Migration20261206191000_group_member_indexes): the group's
 * enrollments from `enrollment_group_status_index`, which carries the participant and customer IDs, and each
 * one's OGSC ID by a lookup in `participant_id_covering_index`. A join would let the planner hash the whole
 * participant table for a large group (100,000 rows for 5,000 members); the lookup costs one index descent per
 * member. Not for statements over readings: a column of a joined subquery is evaluated per joined row.
 */
export function consentedMemberListSql(groupParameter: string): string {
  return `select e.participant_id, (select p.ogsc_id from participant p where p.id = e.participant_id) as ogsc_id, e.internal_customer_id
    from enrollment e
    where e.group_id = ${groupParameter} and e.status = 'consented'`;
}

/**
 * What measurement sync asks of participants and tells them: who has a consented group (only their readings
 * are pulled and kept), when their readings were measured, and for its status pages whose rows a reader may see
 * and their OGSC IDs. Sync reads and changes participants and enrollments only here.
 * Each method runs on the entity manager it is given, so a caller's transaction covers it.
 */
@Injectable()
export class ConsentedParticipants {
  /** The participant's OMRON user ID and whether any of their enrollments is consented; null: no such participant. */
  async find(em: EntityManager, participantId: string): Promise<{ omronUserId: string | null; consented: boolean } | null> {
    const [row] = await em.execute<{ omron_user_id: string | null; consented: boolean }[]>(
      `select p."omron_user_id", exists (select 1 from "enrollment" e where e."participant_id" = p."id" and e."status" = 'consented') as consented
       from "participant" p where p."id" = ?`,
      [participantId],
    );
    return row ? { omronUserId: row.omron_user_id, consented: row.consented } : null;
  }

  /** The participant who connected this OMRON user; null when nobody did. */
  async withOmronUser(em: EntityManager, omronUserId: string): Promise<{ id: string; omronUserId: string } | null> {
    const [row] = await em.execute<{ id: string }[]>(`select "id" from "participant" where "omron_user_id" = ?`, [omronUserId]);
    return row ? { id: row.id, omronUserId } : null;
  }

  /**
   * Whether the participant still has a consented group, asked under a share lock on their row: a withdrawal
   * deletes their readings under that row's lock, so readings written in the caller's transaction after a
   * `true` can never outlive a withdrawal. Must run in the transaction that writes them.
   */
  async lockConsented(em: EntityManager, participantId: string): Promise<boolean> {
    await em.execute(`select 1 from "participant" where "id" = ? for share`, [participantId]);
    const [row] = await em.execute<{ consented: boolean }[]>(
      `select exists (select 1 from "enrollment" where "participant_id" = ? and "status" = 'consented') as consented`,
      [participantId],
    );
    return row.consented;
  }

  /** Participants with a consented group and an OMRON user ID, in ID order after `after`, at most `limit`. */
  async pageWithOmronUser(em: EntityManager, after: string, limit: number): Promise<{ id: string; omronUserId: string }[]> {
    const rows = await em.execute<{ id: string; omron_user_id: string }[]>(
      `select p."id", p."omron_user_id" from "participant" p
       where p."omron_user_id" is not null and p."id" > ?
         and exists (select 1 from "enrollment" e where e."participant_id" = p."id" and e."status" = 'consented')
       order by p."id" limit ?`,
      [after, limit],
    );
    return rows.map((row) => ({ id: row.id, omronUserId: row.omron_user_id }));
  }

  /**
   * Widens the first and last reading times of the participant's consented enrollments to cover readings
   * measured from `first` to `last` (ISO 8601); enrollments already covering them are not touched. A statement
   * with `$n` bind parameters, ending in `returning 1`, for the writer to send in its page's round trip
   * (libs/sync's writer, through measurements' `ReadingsLanded.apply`). It changes only the reading-time columns.
   */
  recordReadingTimesStatement(participantId: string, first: string, last: string): { sql: string; params: unknown[] } {
    return {
      sql: `update "enrollment" set "first_reading_at" = least("first_reading_at", $1::timestamptz), "last_reading_at" = greatest("last_reading_at", $2::timestamptz)
       where "participant_id" = $3::uuid and "status" = 'consented'
         and ("first_reading_at" is null or "first_reading_at" > $1::timestamptz or "last_reading_at" is null or "last_reading_at" < $2::timestamptz)
       returning 1`,
      params: [first, last, participantId],
    };
  }

  /**
   * The participants enrolled (in any status) in one of the groups: a portal reader's scope. Null for every
   * group (a reader who sees everyone), so callers leave their rows unnarrowed.
   */
  async idsInGroups(em: EntityManager, groupIds: readonly string[] | null): Promise<string[] | null> {
    if (groupIds === null) return null;
    const rows = await em.execute<{ participant_id: string }[]>(
      `select distinct "participant_id" from "enrollment" where "group_id" = any(?::uuid[])`,
      [`{${groupIds.join(',')}}`],
    );
    return rows.map((row) => row.participant_id);
  }

  /** Which of the groups each of the participants is enrolled in (in any status); participants in none are left out. */
  async groupsOf(em: EntityManager, participantIds: readonly string[], groupIds: readonly string[]): Promise<Map<string, string[]>> {
    const groups = new Map<string, string[]>();
    if (participantIds.length === 0 || groupIds.length === 0) return groups;
    const rows = await em.execute<{ participant_id: string; group_id: string }[]>(
      `select "participant_id", "group_id" from "enrollment" where "participant_id" = any(?::uuid[]) and "group_id" = any(?::uuid[])`,
      [`{${participantIds.join(',')}}`, `{${groupIds.join(',')}}`],
    );
    for (const row of rows) groups.set(row.participant_id, [...(groups.get(row.participant_id) ?? []), row.group_id]);
    return groups;
  }

  /** Which of the groups the participant has a consented enrollment in (internal IDs). */
  async consentedGroupsOf(em: EntityManager, participantId: string, groupIds: readonly string[]): Promise<string[]> {
    if (groupIds.length === 0) return [];
    const rows = await em.execute<{ group_id: string }[]>(
      `select "group_id" from "enrollment" where "participant_id" = ? and "status" = 'consented' and "group_id" = any(?::uuid[])`,
      [participantId, `{${groupIds.join(',')}}`],
    );
    return rows.map((row) => row.group_id);
  }

  /**
   * The consented participants of a group whose last reading was measured in `[from, to)`: who fell silent in
   * that span (the alerts room's "no reading" check), through the enrollments' reading times, oldest first.
   */
  async lastReadingBetween(
    em: EntityManager,
    groupId: string,
    from: Date,
    to: Date,
    limit: number,
  ): Promise<{ participantId: string; lastReadingAt: Date }[]> {
    const rows = await em.execute<{ participant_id: string; last_reading_at: Date | string }[]>(
      `select "participant_id", "last_reading_at" from "enrollment"
        where "group_id" = ? and "status" = 'consented' and "last_reading_at" >= ? and "last_reading_at" < ?
        order by "last_reading_at", "participant_id" limit ?`,
      [groupId, from, to, limit],
    );
    return rows.map((row) => ({ participantId: row.participant_id, lastReadingAt: new Date(row.last_reading_at) }));
  }

  /**
   * Another room's per-participant figures added up by group: `rows` is SQL giving a `participant_id` and the
   * `columns` (several rows of one participant are fine); each row counts in every one of `groupIds` its
   * participant is enrolled in (in any status). One statement, one row per group back, whatever the number of
   * participants (a launch day's thousands of queued pulls). Groups without rows are left out.
   */
  async sumsByGroup<C extends string>(
    em: EntityManager,
    rows: { sql: string; params: unknown[] },
    columns: readonly C[],
    groupIds: readonly string[],
  ): Promise<Map<string, Record<C, number>>> {
    if (groupIds.length === 0) return new Map();
    const sums = await em.execute<Record<string, string>[]>(
      `select e."group_id", ${columns.map((column) => `coalesce(sum(r."${column}"), 0)::bigint as "${column}"`).join(', ')}
         from (${rows.sql}) r join "enrollment" e on e."participant_id" = r."participant_id"
        where e."group_id" = any(?::uuid[])
        group by e."group_id"`,
      [...rows.params, `{${groupIds.join(',')}}`],
    );
    return new Map(
      sums.map((row) => [row.group_id, Object.fromEntries(columns.map((column) => [column, Number(row[column])])) as Record<C, number>]),
    );
  }

  /** The OGSC IDs of the participants, by participant ID (participants that no longer exist are left out). */
  async ogscIds(em: EntityManager, participantIds: readonly string[]): Promise<Map<string, string>> {
    if (participantIds.length === 0) return new Map();
    const rows = await em.execute<{ id: string; ogsc_id: string }[]>(
      `select "id", "ogsc_id" from "participant" where "id" = any(?::uuid[])`,
      [`{${[...new Set(participantIds)].join(',')}}`],
    );
    return new Map(rows.map((row) => [row.id, row.ogsc_id]));
  }
}
