import { Injectable } from '@nestjs/common';
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import { EnrollmentChangesPort } from './enrollment-changes.port.js';
import { Enrollment } from './enrollment.entity.js';
import { generateOgscId } from './ogsc-id.rules.js';
import { Participant } from './participant.entity.js';

/** The group an enrollment is in: its internal ID and its public ID (for the audit log). */
export interface ConsentGroup {
  id: string;
  groupId: string;
}

/** The audit actor of a participant acting for themselves: their login ID, or their OGSC ID when they have none. */
export function participantActor(participant: Participant, ip: string | null): AuditActor {
  return { adminId: null, login: participant.loginId ?? participant.ogscId, ip };
}

/**
 * What the consent flow (libs/consent) reads and changes of participants and enrollments: who a participant is,
 * the funnel's "link opened", a new participant for an OMRON user, consent on an enrollment, the link to an OMRON
 * account. libs/consent writes no SQL on these tables.
 */
@Injectable()
export class ConsentRecords {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditLog,
    private readonly changes: EnrollmentChangesPort,
  ) {}

  /** The participant with this ID; null when there is none. */
  byId(participantId: string): Promise<Participant | null> {
    return this.em.fork().findOne(Participant, { id: participantId });
  }

  /** The participant who connected this OMRON user; null when nobody did. */
  byOmronUser(omronUserId: string): Promise<Participant | null> {
    return this.em.fork().findOne(Participant, { omronUserId });
  }

  /**
   * Funnel: a known participant opened a group's link (pre-created and signed in, or an OMRON user who is a
   * participant already). Only `invited` moves to `link_opened`; an unknown pre-created participant gets a
   * `link_opened` enrollment, since they came through this group's link.
   */
  async markLinkOpened(who: { participantId: string } | { omronUserId: string }, groupId: string, at: Date): Promise<void> {
    const em = this.em.fork();
    const participant =
      'participantId' in who
        ? await em.findOne(Participant, { id: who.participantId })
        : await em.findOne(Participant, { omronUserId: who.omronUserId });
    if (!participant) return;
    if ('omronUserId' in who) {
      await em.nativeUpdate(Enrollment, { participant, group: groupId, status: 'invited' }, { status: 'link_opened', linkOpenedAt: at });
      return;
    }
    await em.execute(
      `insert into enrollment (id, participant_id, group_id, status, link_opened_at, created_at, updated_at)
           values (?, ?, ?, 'link_opened', ?, now(), now()) on conflict (participant_id, group_id) do nothing`,
      [randomUUID(), participant.id, groupId, at],
      'run',
    );
    await em.nativeUpdate(Enrollment, { participant, group: groupId, status: 'invited' }, { status: 'link_opened', linkOpenedAt: at });
  }

  /** The participant of an OMRON connect user, created with a new OGSC ID when missing. */
  createForOmronUser(omronUserId: string): Promise<Participant> {
    return this.em.fork().transactional(async (em) => {
      // Insert-if-missing: two accepts of one OMRON user at once still make one participant (one OGSC ID).
      await em.getConnection().execute(
        `insert into participant (id, ogsc_id, omron_user_id, enrollment_method, must_change_password, created_at, updated_at)
             values (?, ?, ?, 'omron_connect', false, now(), now()) on conflict (omron_user_id) do nothing`,
        [randomUUID(), generateOgscId(), omronUserId],
        'run',
        em.getTransactionContext(),
      );
      return em.findOneOrFail(Participant, { omronUserId });
    });
  }

  /**
   * Records consent to the data scopes on the participant's enrollment in the group (created when missing),
   * with its audit row and what `EnrollmentChangesPort`'s listeners write (webhook deliveries), all in one
   * transaction; `linkOpenedAt` fills a link opening not recorded yet. The only path by which an enrollment
   * becomes `consented`.
   */
  consent(participantId: string, group: ConsentGroup, scopes: string[], linkOpenedAt: Date, ip: string | null): Promise<Enrollment> {
    return this.em.fork().transactional(async (em) => {
      await em.getConnection().execute(
        `insert into enrollment (id, participant_id, group_id, status, created_at, updated_at)
             values (?, ?, ?, 'link_opened', now(), now()) on conflict (participant_id, group_id) do nothing`,
        [randomUUID(), participantId, group.id],
        'run',
        em.getTransactionContext(),
      );
      const enrollment = await em.findOneOrFail(
        Enrollment,
        { participant: participantId, group: group.id },
        { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['participant', 'group'] },
      );
      Object.assign(enrollment, {
        status: 'consented',
        consentedAt: new Date(),
        consentedScopes: scopes.join(' '),
        linkOpenedAt: enrollment.linkOpenedAt ?? linkOpenedAt,
        withdrawnAt: null,
        withdrawnBy: null,
      });
      this.audit.record(em, {
        action: 'enrollment.consented',
        actor: participantActor(enrollment.participant, ip),
        target: { type: 'participant', id: enrollment.participant.ogscId },
        detail: { groupId: group.groupId, scopes },
      });
      await this.changes.notify(em, {
        kind: 'consented',
        enrollmentId: enrollment.id,
        participantId,
        ogscId: enrollment.participant.ogscId,
        groupId: group.groupId,
        scopes,
        at: enrollment.consentedAt!,
      });
      return enrollment;
    });
  }

  /**
   * Sets the participant's OMRON user ID, unless that OMRON account belongs to another participant or this
   * participant is linked to another OMRON account already: then nothing changes.
   */
  async linkOmronUser(
    participantId: string,
    omronUserId: string,
    ip: string | null,
  ): Promise<'linked' | 'other_participant' | 'other_account'> {
    try {
      return await this.em.fork().transactional(async (em) => {
        const participant = await em.findOneOrFail(Participant, { id: participantId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (participant.omronUserId === omronUserId) return 'linked';
        if (participant.omronUserId) return 'other_account';
        if (await em.count(Participant, { omronUserId })) return 'other_participant';
        participant.omronUserId = omronUserId;
        this.audit.record(em, {
          action: 'participant.omron_linked',
          actor: participantActor(participant, ip),
          target: { type: 'participant', id: participant.ogscId },
        });
        return 'linked';
      });
    } catch (error) {
      // Another participant took this OMRON account between the check and the commit.
      if (error instanceof UniqueConstraintViolationException) return 'other_participant';
      throw error;
    }
  }

  /** The participant's enrollment in the group (internal ID), with its group loaded. */
  enrollmentIn(participant: Participant, groupRowId: string): Promise<Enrollment> {
    return this.em.fork().findOneOrFail(Enrollment, { participant, group: groupRowId }, { populate: ['group'] });
  }
}
