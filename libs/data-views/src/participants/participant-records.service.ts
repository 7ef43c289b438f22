import { Injectable, NotFoundException } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { PortalUser } from '@opendsp/admin-auth';
import { DspConfig } from '@opendsp/config';
import type { DeviceSeen } from '@opendsp/measurements';
import {
  funnelStage,
  looksLikeOgscId,
  ParticipantLookups,
  staleCutoff,
  type EnrollmentWithGroup,
  type ParticipantSummary,
  type ParticipantWithEnrollments,
} from '@opendsp/participants';
import { OmronConnections, type ConnectionHistory } from '@opendsp/tokens';
import { DataScope } from '../data-scope.service.js';

export interface ParticipantRecord {
  participant: ParticipantSummary;
  /** The enrollments the user may see (a group admin: only their groups'). */
  enrollments: (EnrollmentWithGroup & { stale: boolean })[];
  connection: ConnectionHistory['connection'] | null;
  /** The connection's state changes, newest first (at most 50). */
  connectionEvents: ConnectionHistory['events'];
  /** The devices the participant's readings came from (libs/measurements, read with the page's readings). */
  devices: DeviceSeen[];
}

/**
 * One participant as the portal shows them: identity, enrollments, OMRON connection and its history,
 * devices. A participant outside the user's groups is a 404, exactly like one that does not exist.
 */
@Injectable()
export class ParticipantRecords {
  constructor(
    private readonly em: EntityManager,
    private readonly scope: DataScope,
    private readonly config: DspConfig,
    private readonly participants: ParticipantLookups,
    private readonly connections: OmronConnections,
  ) {}

  /** The participant with this OGSC ID, if the user may see them (404 otherwise). */
  async visible(em: EntityManager, user: PortalUser, ogscId: string): Promise<ParticipantWithEnrollments> {
    const normalised = ogscId.toUpperCase();
    if (!looksLikeOgscId(normalised)) throw new NotFoundException();
    const { groupIds } = await this.scope.of(em, user);
    const found = await this.participants.withEnrollments(em, normalised, groupIds);
    if (!found || (groupIds !== null && found.enrollments.length === 0)) throw new NotFoundException();
    return found;
  }

  /** The OMRON connection with its history (at most 50 changes, newest first); none before the person connected. */
  async connection(participant: ParticipantSummary): Promise<Pick<ParticipantRecord, 'connection' | 'connectionEvents'>> {
    if (!participant.omronUserId) return { connection: null, connectionEvents: [] };
    const found = await this.connections.withHistory(this.em.fork(), participant.omronUserId, 50);
    return found ? { connection: found.connection, connectionEvents: found.events } : { connection: null, connectionEvents: [] };
  }

  /** Marks the enrollments at the funnel's `stale` stage (consented, had readings, none within STALE_AFTER_DAYS). */
  withStale(enrollments: EnrollmentWithGroup[]): (EnrollmentWithGroup & { stale: boolean })[] {
    const cutoff = staleCutoff(this.config.participants.staleAfterDays);
    return enrollments.map((enrollment) => ({ ...enrollment, stale: funnelStage(enrollment, cutoff) === 'stale' }));
  }
}
