import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { groupDisplayNameSql, GroupLookups, groupPublicIdSql } from '@opendsp/groups';
import type { EnrollmentStatus } from '../enrollment.entity.js';
import type { EnrollmentMethod } from '../participant.entity.js';

/** A participant of a group found by an identifier the partner knows them by. */
export interface GroupMember {
  participantId: string;
  ogscId: string;
  internalCustomerId: string | null;
}

/** An enrollment as other rooms show it: times as ISO 8601 UTC with milliseconds, null when not reached. */
export interface EnrollmentSummary {
  participantId: string;
  groupUuid: string;
  /** The group's public ID. */
  groupId: string;
  status: string;
  internalCustomerId: string | null;
  /** Space-delimited scopes the participant consented to; null before consent. */
  consentedScopes: string | null;
  invitedAt: string | null;
  linkOpenedAt: string | null;
  consentedAt: string | null;
  withdrawnAt: string | null;
  firstReadingAt: string | null;
  lastReadingAt: string | null;
  updatedAt: string;
}

/** A participant as the portal's participant page shows them (no credentials). */
export interface ParticipantSummary {
  id: string;
  ogscId: string;
  omronUserId: string | null;
  enrollmentMethod: EnrollmentMethod;
  loginId: string | null;
  credentialsExpireAt: Date | null;
  lastSignInAt: Date | null;
  createdAt: Date;
}

/** One of a participant's enrollments, with its group's public ID and name. */
export interface EnrollmentWithGroup {
  group: { groupId: string; displayName: string };
  status: EnrollmentStatus;
  internalCustomerId: string | null;
  consentedScopes: string | null;
  consentedAt: Date | null;
  withdrawnAt: Date | null;
  firstReadingAt: Date | null;
  lastReadingAt: Date | null;
}

export interface ParticipantWithEnrollments {
  participant: ParticipantSummary;
  enrollments: EnrollmentWithGroup[];
}

type EnrollmentJson = Omit<EnrollmentWithGroup, 'group' | 'consentedAt' | 'withdrawnAt' | 'firstReadingAt' | 'lastReadingAt'> &
  Record<'groupId' | 'displayName', string> &
  Record<'consentedAt' | 'withdrawnAt' | 'firstReadingAt' | 'lastReadingAt', string | null>;

interface ParticipantWithEnrollmentsRow {
  id: string;
  ogsc_id: string;
  omron_user_id: string | null;
  enrollment_method: EnrollmentMethod;
  login_id: string | null;
  credentials_expire_at: Date | string | null;
  last_sign_in_at: Date | string | null;
  created_at: Date | string;
  enrollments: EnrollmentJson[] | string;
}

const iso = (column: string): string => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Read-only lookups other rooms make of participants and their enrollments, so that they need no SQL on these
 * tables: a CSV export's participant filter, the REST API's participant views, the portal's participant page,
 * the renormalise CLI's participant. Stateless: each runs on the
 * entity manager it is given.
 */
@Injectable()
export class ParticipantLookups {
  /** Stateless, so a service built by hand (benchmarks) gets its own. */
  private readonly groups = new GroupLookups();

  /** The group's participants (any status) whose OGSC ID or internal customer ID is one of `identifiers`. */
  async inGroup(em: EntityManager, groupUuid: string, identifiers: readonly string[]): Promise<GroupMember[]> {
    if (identifiers.length === 0) return [];
    const rows = await em.execute<{ participant_id: string; ogsc_id: string; internal_customer_id: string | null }[]>(
      `select e.participant_id, p.ogsc_id, e.internal_customer_id from enrollment e join participant p on p.id = e.participant_id
          where e.group_id = ? and (p.ogsc_id in (?) or e.internal_customer_id in (?))`,
      [groupUuid, identifiers, identifiers],
    );
    return rows.map((row) => ({ participantId: row.participant_id, ogscId: row.ogsc_id, internalCustomerId: row.internal_customer_id }));
  }

  /**
   * The participant with this OGSC ID (already upper-case) and their enrollments in the groups, oldest first, each
   * with its group's public ID and name; `groupIds` null: in every group. Null when no participant has the OGSC ID.
   * One statement of plain rows: the portal's participant page and "sync now" ask it on every request.
   */
  async withEnrollments(em: EntityManager, ogscId: string, groupIds: readonly string[] | null): Promise<ParticipantWithEnrollments | null> {
    const inGroups = groupIds === null ? '' : groupIds.length === 0 ? 'and false' : 'and e.group_id in (?)';
    const [row] = await em.execute<ParticipantWithEnrollmentsRow[]>(
      `select p.id, p.ogsc_id, p.omron_user_id, p.enrollment_method, p.login_id, p.credentials_expire_at, p.last_sign_in_at, p.created_at,
              coalesce((select json_agg(json_build_object(
                         'groupId', ${groupPublicIdSql('e.group_id')}, 'displayName', ${groupDisplayNameSql('e.group_id')},
                         'status', e.status, 'internalCustomerId', e.internal_customer_id, 'consentedScopes', e.consented_scopes,
                         'consentedAt', e.consented_at, 'withdrawnAt', e.withdrawn_at,
                         'firstReadingAt', e.first_reading_at, 'lastReadingAt', e.last_reading_at) order by e.created_at, e.id)
                  from enrollment e where e.participant_id = p.id ${inGroups}), '[]') as enrollments
         from participant p where p.ogsc_id = ?`,
      groupIds === null || groupIds.length === 0 ? [ogscId] : [[...groupIds], ogscId],
    );
    if (!row) return null;
    const at = (value: string | Date | null) => (value === null ? null : new Date(value));
    // The driver may hand json back parsed or as text, depending on how the column arrives.
    const enrollments: EnrollmentJson[] = typeof row.enrollments === 'string' ? JSON.parse(row.enrollments) : row.enrollments;
    return {
      participant: {
        id: row.id,
        ogscId: row.ogsc_id,
        omronUserId: row.omron_user_id,
        enrollmentMethod: row.enrollment_method,
        loginId: row.login_id,
        credentialsExpireAt: at(row.credentials_expire_at),
        lastSignInAt: at(row.last_sign_in_at),
        createdAt: new Date(row.created_at),
      },
      enrollments: enrollments.map((enrollment) => ({
        group: { groupId: enrollment.groupId, displayName: enrollment.displayName },
        status: enrollment.status,
        internalCustomerId: enrollment.internalCustomerId,
        consentedScopes: enrollment.consentedScopes,
        consentedAt: at(enrollment.consentedAt),
        withdrawnAt: at(enrollment.withdrawnAt),
        firstReadingAt: at(enrollment.firstReadingAt),
        lastReadingAt: at(enrollment.lastReadingAt),
      })),
    };
  }

  /** The participant whose OGSC ID or internal ID is `identifier` (an operator's command line); null: nobody. */
  async byOgscIdOrId(em: EntityManager, identifier: string): Promise<{ id: string; ogscId: string } | null> {
    const [row] = await em.execute<{ id: string; ogsc_id: string }[]>(
      `select "id", "ogsc_id" from "participant" where "ogsc_id" = ? or "id"::text = ?`,
      [identifier, identifier],
    );
    return row ? { id: row.id, ogscId: row.ogsc_id } : null;
  }

  /** Every enrollment of the participants, ordered by the group's public ID. */
  async enrollmentsOf(em: EntityManager, participantIds: readonly string[]): Promise<EnrollmentSummary[]> {
    if (participantIds.length === 0) return [];
    const rows = await em.execute<Omit<EnrollmentSummary, 'groupId'>[]>(
      `select e.participant_id as "participantId", e.group_id as "groupUuid", e.status,
              e.internal_customer_id as "internalCustomerId", e.consented_scopes as "consentedScopes",
              ${iso('e.invited_at')} as "invitedAt", ${iso('e.link_opened_at')} as "linkOpenedAt", ${iso('e.consented_at')} as "consentedAt",
              ${iso('e.withdrawn_at')} as "withdrawnAt", ${iso('e.first_reading_at')} as "firstReadingAt",
              ${iso('e.last_reading_at')} as "lastReadingAt", ${iso('e.updated_at')} as "updatedAt"
         from enrollment e where e.participant_id in (?)`,
      [participantIds],
    );
    // The groups' public IDs are the groups room's.
    const labels = await this.groups.labelsOf(
      em,
      rows.map((row) => row.groupUuid),
    );
    return rows
      .map(({ participantId, groupUuid, ...rest }) => ({ participantId, groupUuid, groupId: labels.get(groupUuid)!.groupId, ...rest }))
      .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }
}
