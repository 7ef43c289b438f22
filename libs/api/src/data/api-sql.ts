import type { SqlFragment } from '@opendsp/measurements';

// The readings' own SQL (pages, change feed, JSON) is ReadingsRepository's; the API adds who may read them.
export { isoUtcSql, type SqlFragment } from '@opendsp/measurements';

/**
 * Which participants' readings a client may see: those with a consented enrollment in one of its groups
 * (`groups` is the condition on `e.group_id`). Withdrawn, invited and other groups' participants: none.
 */
export function readableParticipantSql(participantColumn: string, groups: SqlFragment): SqlFragment {
  return {
    sql: `exists (select 1 from enrollment e where e.participant_id = ${participantColumn} and e.status = 'consented' and ${groups.sql})`,
    params: groups.params,
  };
}
