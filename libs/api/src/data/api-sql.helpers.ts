import type { SqlFragment } from '@opendsp/measurements';
import { consentedInGroupsSql } from '@opendsp/participants';

// The readings' own SQL (pages, change feed, JSON) is ReadingsRepository's; the API adds who may read them.
export { isoUtcSql, type SqlFragment } from '@opendsp/measurements';

/**
 * Which participants' readings a client may see: those with a consented enrollment in one of its groups
 * (`groups` is the condition on `e.group_id`). Withdrawn, invited and other groups' participants: none.
 * libs/participants owns the condition's SQL.
 */
export function readableParticipantSql(participantColumn: string, groups: SqlFragment): SqlFragment {
  return {
    sql: consentedInGroupsSql(participantColumn, groups.sql),
    params: groups.params,
  };
}
