import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog } from '@opendsp/audit';
import { ReadingsRepository } from '@opendsp/measurements';
import {
  Enrollment,
  looksLikeOgscId,
  ParticipantListQuery,
  ParticipantLookups,
  type EnrollmentStatus,
  type ParticipantPeopleCriteria,
} from '@opendsp/participants';
import { SyncStatusService } from '@opendsp/sync';
import { OmronConnections } from '@opendsp/tokens';
import { apiActor, type ApiPrincipal } from '../auth/api-principal.types.js';
import type {
  ConnectionDto,
  CreatedParticipantsDto,
  DeviceListDto,
  EnrollmentDto,
  ParticipantDetailDto,
  ParticipantDto,
  ParticipantPageDto,
} from '../dto/participants.dto.js';
import {
  INTERNAL_CUSTOMER_ID_SETTER,
  InternalCustomerIdTaken,
  type InternalCustomerIdSetterPort,
} from '../integrations/internal-customer-ids.port.js';
import {
  PARTICIPANT_PROVISIONING,
  ProvisioningRejected,
  type ParticipantProvisioningPort,
  type ProvisioningRow,
} from '../integrations/participant-provisioning.port.js';
import { ApiProblem } from '../problems/api-problem.exception.js';
import { clientSeesGroup } from './client-groups.helpers.js';
import { decodeCursor, encodeCursor, isoOrNull } from './cursor.helpers.js';
import { GroupsApiService } from './groups-api.service.js';

interface ParticipantRow {
  id: string;
  ogsc_id: string;
  enrollment_method: string;
  login_id: string | null;
  omron_user_id: string | null;
  /** ISO 8601 UTC, formatted by PostgreSQL like every timestamp of the API. */
  created_at: string;
  changed_at: string;
}

const OGSC_ID_FORMAT = /^OG-[0-9A-HJKMNP-TV-Z]{24}$/;

/**
 * Participants as the API shows them. A participant is visible to a client when enrolled (in any status)
 * in one of its groups, and only those enrollments are shown; for anyone else the answer is 404
 * `participant_not_found`, exactly as for an OGSC ID that does not exist.
 */
@Injectable()
export class ParticipantsApiService {
  constructor(
    private readonly em: EntityManager,
    private readonly groups: GroupsApiService,
    private readonly audit: AuditLog,
    @Inject(PARTICIPANT_PROVISIONING) private readonly provisioning: ParticipantProvisioningPort,
    @Inject(INTERNAL_CUSTOMER_ID_SETTER) private readonly customerIds: InternalCustomerIdSetterPort,
    private readonly sync: SyncStatusService,
    private readonly readings: ReadingsRepository,
    private readonly participantList: ParticipantListQuery,
    private readonly lookups: ParticipantLookups,
    private readonly connections: OmronConnections,
  ) {}

  /** Participants ordered by OGSC ID (immutable, so pages never shift), filtered by group, status and update time. */
  async list(
    principal: ApiPrincipal,
    query: { groupId?: string; status?: string; updatedSince?: string; cursor?: string; limit: number },
  ): Promise<ParticipantPageDto> {
    const em = this.em.fork();
    const group = query.groupId ? await this.groups.visibleGroup(em, principal, query.groupId) : undefined;
    const [after] = decodeCursor(query.cursor, [OGSC_ID_FORMAT]) ?? [];
    const { rows, nextAfter } = await this.participants(em, principal, {
      groupId: group?.id,
      status: query.status as EnrollmentStatus | undefined,
      changedSince: query.updatedSince ? new Date(query.updatedSince) : undefined,
      after,
      limit: query.limit,
    });
    return { data: await this.views(em, principal, rows), nextCursor: nextAfter ? encodeCursor([nextAfter]) : null };
  }

  async get(principal: ApiPrincipal, ogscId: string): Promise<ParticipantDetailDto> {
    const em = this.em.fork();
    const row = await this.visibleParticipant(em, principal, ogscId);
    const [view] = await this.views(em, principal, [row]);
    const ledger = await this.sync.ledger(row.id);
    return {
      ...view,
      // The kinds ever asked for, by name: what the API has always listed.
      syncLedger: ledger
        .filter((entry) => entry.inLedger)
        .sort((a, b) => a.kind.localeCompare(b.kind))
        .map((entry) => ({
          kind: entry.kind,
          lastNotificationAt: isoOrNull(entry.lastNotificationAt),
          lastSuccessfulPullAt: isoOrNull(entry.lastPullSucceededAt),
          cursor: entry.pull?.cursor ?? entry.pull?.since ?? null,
          lastError: entry.lastError,
          lastErrorAt: isoOrNull(entry.lastErrorAt),
          lagSeconds: entry.lagSeconds > 0 ? entry.lagSeconds : null,
        })),
    };
  }

  async devices(principal: ApiPrincipal, ogscId: string): Promise<DeviceListDto> {
    const em = this.em.fork();
    const row = await this.visibleParticipant(em, principal, ogscId);
    const devices = await this.readings.devicesOf(em, row.id);
    return {
      ogscId: row.ogsc_id,
      data: devices.map((device) => ({
        deviceType: device.device_type,
        firstSeenAt: device.first_seen_at,
        lastSeenAt: device.last_seen_at,
      })),
    };
  }

  /** Sets or clears the internal customer ID of the participant's enrollment in a group the client may see. */
  async setInternalCustomerId(
    principal: ApiPrincipal,
    ogscId: string,
    groupId: string,
    internalCustomerId: string | null,
    ip: string | undefined,
  ): Promise<EnrollmentDto> {
    const em = this.em.fork();
    const participant = await this.visibleParticipant(em, principal, ogscId);
    const group = await this.groups.visibleGroup(em, principal, groupId);
    const enrollment = await em.findOne(Enrollment, { participant: participant.id, group: group.id });
    if (!enrollment) throw new ApiProblem('participant_not_found', `Participant ${ogscId} is not enrolled in group ${groupId}.`);
    const before = enrollment.internalCustomerId;
    try {
      await this.customerIds.set(enrollment.id, internalCustomerId);
    } catch (error) {
      if (error instanceof InternalCustomerIdTaken) {
        throw new ApiProblem('internal_customer_id_taken', 'Another participant of the group has this internal customer ID.', {
          errors: [
            {
              field: 'internalCustomerId',
              code: 'internal_customer_id_taken',
              message: 'internalCustomerId is used by another participant of the group',
            },
          ],
        });
      }
      throw error;
    }
    await this.audit.recordNow({
      action: 'api.internal_customer_id_set',
      actor: apiActor(principal, ip),
      target: { type: 'participant', id: participant.ogsc_id },
      detail: { groupId: group.groupId, before, after: internalCustomerId },
    });
    const [view] = await this.views(em.fork(), principal, [participant]);
    return view.enrollments.find((candidate) => candidate.groupId === group.groupId)!;
  }

  /** Pre-creates participants in a group, all or nothing, returning their one-time credentials. */
  async provision(
    principal: ApiPrincipal,
    groupId: string,
    rows: ProvisioningRow[],
    ip: string | undefined,
  ): Promise<CreatedParticipantsDto> {
    const group = await this.groups.visibleGroup(this.em.fork(), principal, groupId);
    let created;
    try {
      created = await this.provisioning.provision(
        group.groupId,
        rows.map((row) => ({ internalCustomerId: row.internalCustomerId ?? null })),
      );
    } catch (error) {
      if (error instanceof ProvisioningRejected) {
        throw new ApiProblem(
          'internal_customer_id_taken',
          'Some internal customer IDs are taken in the group or repeated in the request; nothing was created.',
          {
            errors: error.problems.map((problem) => ({
              field: `participants[${problem.row}].${problem.field}`,
              code: problem.code,
              message:
                problem.code === 'duplicate_in_request'
                  ? 'internalCustomerId appears more than once in this request'
                  : problem.code === 'invalid'
                    ? 'internalCustomerId is not a valid customer ID (at most 100 characters, no control characters)'
                    : 'internalCustomerId is used by another participant of the group',
            })),
          },
        );
      }
      throw error;
    }
    await this.audit.recordNow({
      action: 'api.participants_created',
      actor: apiActor(principal, ip),
      target: { type: 'group', id: group.groupId },
      detail: { count: created.length, ogscIds: created.map((participant) => participant.ogscId) },
    });
    return { groupId: group.groupId, participants: created };
  }

  /** The participant with this OGSC ID if the client may see them; 404 otherwise, malformed IDs included. */
  async visibleParticipant(em: EntityManager, principal: ApiPrincipal, ogscId: string): Promise<ParticipantRow> {
    const [row] = looksLikeOgscId(ogscId) ? (await this.participants(em, principal, { ogscId, limit: 1 })).rows : [];
    if (!row) throw new ApiProblem('participant_not_found', `No participant ${ogscId} is visible to this client.`);
    return row;
  }

  /** Participants enrolled in one of the client's groups, by OGSC ID, through the participant list query. */
  private async participants(
    em: EntityManager,
    principal: ApiPrincipal,
    criteria: Omit<ParticipantPeopleCriteria, 'groupIds'>,
  ): Promise<{ rows: ParticipantRow[]; nextAfter: string | null }> {
    const page = await this.participantList.people(em, { ...criteria, groupIds: principal.allGroups ? null : principal.groupIds });
    return {
      rows: page.rows.map((row) => ({
        id: row.participantId,
        ogsc_id: row.ogscId,
        enrollment_method: row.enrollmentMethod,
        login_id: row.loginId,
        omron_user_id: row.omronUserId,
        created_at: row.createdAt,
        changed_at: row.changedAt,
      })),
      nextAfter: page.nextAfter,
    };
  }

  /** The API view of participants: their visible enrollments (by group ID) and their OMRON connection, from their owners. */
  private async views(em: EntityManager, principal: ApiPrincipal, rows: ParticipantRow[]): Promise<ParticipantDto[]> {
    if (rows.length === 0) return [];
    const enrollments = await this.lookups.enrollmentsOf(
      em,
      rows.map((row) => row.id),
    );
    const omronUserIds = rows.map((row) => row.omron_user_id).filter((id): id is string => id !== null);
    const connections = await this.connections.statesOf(em, omronUserIds);
    return rows.map((row) => {
      const found = connections.find((candidate) => candidate.omronUserId === row.omron_user_id);
      const connectionView: ConnectionDto | null = found
        ? {
            state: found.state,
            stateChangedAt: found.stateChangedAt,
            stateReason: found.stateReason,
            scopes: found.scopes.split(' ').filter(Boolean),
          }
        : null;
      return {
        ogscId: row.ogsc_id,
        enrollmentMethod: row.enrollment_method,
        loginId: row.login_id,
        createdAt: row.created_at,
        updatedAt: row.changed_at,
        enrollments: enrollments
          .filter((enrollment) => enrollment.participantId === row.id && clientSeesGroup(principal, enrollment.groupUuid))
          .map((enrollment) => ({
            groupId: enrollment.groupId,
            status: enrollment.status,
            internalCustomerId: enrollment.internalCustomerId,
            invitedAt: enrollment.invitedAt,
            linkOpenedAt: enrollment.linkOpenedAt,
            consentedAt: enrollment.consentedAt,
            consentedScopes: (enrollment.consentedScopes ?? '').split(' ').filter(Boolean),
            withdrawnAt: enrollment.withdrawnAt,
            firstReadingAt: enrollment.firstReadingAt,
            lastReadingAt: enrollment.lastReadingAt,
            updatedAt: enrollment.updatedAt,
          })),
        connection: connectionView,
      };
    });
  }
}
