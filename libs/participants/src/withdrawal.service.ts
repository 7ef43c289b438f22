import { Injectable, NotFoundException } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import { DspConfig } from '@opendsp/config';
import { OmronConnection, OmronTokens } from '@opendsp/tokens';
import { Enrollment } from './enrollment.entity.js';
import { EnrollmentChangesPort } from './enrollment-changes.port.js';
import { EnrollmentEvents } from './enrollment-events.service.js';
import { Participant } from './participant.entity.js';
import { ParticipantReadingsPort } from './participant-readings.port.js';

/** Who withdraws: the participant themself (from their page) or an admin (from the portal or the API). */
export type WithdrawalActor =
  | { kind: 'participant'; participantId: string; ip?: string | null }
  | { kind: 'admin'; adminId: string; login: string; ip?: string | null };

export interface WithdrawalOutcome {
  enrollmentId: string;
  /** It was withdrawn before this call; nothing changed. */
  alreadyWithdrawn: boolean;
  /** The person had no other consented group: their OMRON tokens were revoked upstream and wiped here. */
  tokensRevoked: boolean;
  readingsDeleted: number;
}

/** No such enrollment, or (for a participant) not theirs. */
export class EnrollmentNotFoundError extends Error {
  override name = 'EnrollmentNotFoundError';
}

/**
 * Ends a participant's membership of a group, for the participant page and the admin side alike.
 *
 * When no other consented enrollment of the person is left: their readings are deleted (unless
 * WITHDRAWAL_KEEPS_DATA) in the same transaction as the status change, its audit event and what
 * `EnrollmentChangesPort`'s listeners write (webhook deliveries), and after the
 * commit their OMRON tokens are revoked upstream and wiped (`OmronTokens.withdraw`), so sync can fetch
 * nothing more. With another group still consented, the data and the connection stay: they serve that group.
 * Withdrawals of one person take turns on the participant's row lock, so of two at once the second always
 * sees the first.
 */
@Injectable()
export class WithdrawalService {
  constructor(
    private readonly em: EntityManager,
    private readonly tokens: OmronTokens,
    private readonly audit: AuditLog,
    private readonly config: DspConfig,
    private readonly events: EnrollmentEvents,
    private readonly readings: ParticipantReadingsPort,
    private readonly changes: EnrollmentChangesPort,
  ) {}

  /** An admin ends a participant's consent for a group (404 when the group has no such participant). */
  async withdrawFromGroup(groupId: string, ogscId: string, by: WithdrawalActor): Promise<WithdrawalOutcome> {
    const enrollment = await this.em.fork().findOne(Enrollment, { group: { groupId }, participant: { ogscId } }, { fields: ['id'] });
    if (!enrollment) throw new NotFoundException();
    return this.withdraw(enrollment.id, by);
  }

  async withdraw(enrollmentId: string, by: WithdrawalActor): Promise<WithdrawalOutcome> {
    const byLabel = by.kind === 'participant' ? 'participant' : `admin:${by.adminId}`;
    const now = new Date();
    const done = await this.em.fork().transactional(async (em) => {
      const found = /^[0-9a-f-]{36}$/.test(enrollmentId) ? await em.findOne(Enrollment, { id: enrollmentId }) : null;
      if (!found || (by.kind === 'participant' && found.participant.id !== by.participantId)) throw new EnrollmentNotFoundError();
      const participant = await em.findOneOrFail(Participant, { id: found.participant.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const enrollment = await em.findOneOrFail(Enrollment, { id: enrollmentId }, { populate: ['group'], refresh: true });
      const outcome = { enrollment, participant, connectionId: null as string | null, readingsDeleted: 0 };
      if (enrollment.status === 'withdrawn') return { ...outcome, alreadyWithdrawn: true };

      const othersConsented = await em.count(Enrollment, { participant, status: 'consented', id: { $ne: enrollment.id } });
      Object.assign(enrollment, { status: 'withdrawn', withdrawnAt: now, withdrawnBy: byLabel });
      const lastConsent = othersConsented === 0;
      if (lastConsent && !this.config.withdrawal.keepsData) outcome.readingsDeleted = await this.readings.deleteAll(em, participant.id);
      if (lastConsent && participant.omronUserId) {
        const connection = await em.findOne(OmronConnection, { omronUserId: participant.omronUserId, state: { $ne: 'withdrawn' } });
        outcome.connectionId = connection?.id ?? null;
      }
      const actor: AuditActor =
        by.kind === 'participant'
          ? { adminId: null, login: participant.loginId ?? participant.ogscId, ip: by.ip ?? null }
          : { adminId: by.adminId, login: by.login, ip: by.ip ?? null };
      this.audit.record(em, {
        action: 'enrollment.withdrawn',
        actor,
        target: { type: 'participant', id: participant.ogscId },
        detail: {
          groupId: enrollment.group.groupId,
          by: byLabel,
          readingsDeleted: outcome.readingsDeleted,
          dataKept: lastConsent && this.config.withdrawal.keepsData,
          tokensRevoked: outcome.connectionId !== null,
        },
      });
      // Webhook deliveries and the like commit with the withdrawal (the tokens are revoked after the commit).
      await this.changes.notify(em, {
        kind: 'withdrawn',
        enrollmentId,
        participantId: participant.id,
        ogscId: participant.ogscId,
        groupId: enrollment.group.groupId,
        by: byLabel,
        tokensRevoked: outcome.connectionId !== null,
        readingsDeleted: outcome.readingsDeleted,
        at: now,
      });
      return { ...outcome, alreadyWithdrawn: false };
    });

    if (done.connectionId) await this.tokens.withdraw(done.connectionId, `consent withdrawn (${byLabel})`);
    if (!done.alreadyWithdrawn) {
      await this.events.emit('withdrawn', {
        enrollmentId,
        participantId: done.participant.id,
        ogscId: done.participant.ogscId,
        groupId: done.enrollment.group.groupId,
        by: byLabel,
        tokensRevoked: done.connectionId !== null,
        readingsDeleted: done.readingsDeleted,
        at: now,
      });
    }
    return {
      enrollmentId,
      alreadyWithdrawn: done.alreadyWithdrawn,
      tokensRevoked: done.connectionId !== null,
      readingsDeleted: done.readingsDeleted,
    };
  }
}
