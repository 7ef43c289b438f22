import { Injectable, NotFoundException } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import type { FieldErrors } from '@opendsp/i18n';
import { Enrollment } from '../enrollment.entity.js';
import { groupById, lockGroup } from '../group-lookup.helpers.js';
import { internalCustomerIdProblem, normaliseInternalCustomerId } from '../internal-customer-id.rules.js';

export type CustomerIdOutcome = { ok: true; internalCustomerId: string | null; changed: boolean } | { ok: false; errors: FieldErrors };

/**
 * The partner's own customer ID for a participant in a group (DSP document section 6: the OGSC ID "can be
 * reliably mapped to your internal customer identifiers"). Unique within the group; every change audited.
 */
@Injectable()
export class InternalCustomerIds {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Sets (or, with an empty value, clears) the internal customer ID of the participant with `ogscId` in the
   * group with public ID `groupId`. 404 when the participant is not in the group; a field error when another
   * participant of the group has the ID.
   */
  async set(groupId: string, ogscId: string, value: unknown, actor: AuditActor): Promise<CustomerIdOutcome> {
    const wanted = normaliseInternalCustomerId(value);
    const problem = internalCustomerIdProblem(wanted);
    if (problem) return { ok: false, errors: { internalCustomerId: problem } };
    return this.em.fork().transactional(async (em): Promise<CustomerIdOutcome> => {
      const group = await groupById(em, groupId);
      // The group lock orders this against provisioning and other changes, so the check below stays true until commit.
      await lockGroup(em, group);
      const enrollment = await em.findOne(Enrollment, { group, participant: { ogscId } }, { populate: ['participant'] });
      if (!enrollment) throw new NotFoundException();
      const before = enrollment.internalCustomerId;
      if (before === wanted) return { ok: true, internalCustomerId: wanted, changed: false };
      if (wanted !== null && (await em.count(Enrollment, { group, internalCustomerId: wanted, id: { $ne: enrollment.id } })) > 0) {
        return { ok: false, errors: { internalCustomerId: 'participants.customer_id_taken_single' } };
      }
      enrollment.internalCustomerId = wanted;
      this.audit.record(em, {
        action: 'participant.internal_customer_id_changed',
        actor,
        target: { type: 'participant', id: enrollment.participant.ogscId },
        detail: { groupId: group.groupId, before, after: wanted },
      });
      return { ok: true, internalCustomerId: wanted, changed: true };
    });
  }

  /** `set` for the enrollment with this ID (the REST API's, which has resolved and authorised it); 404 when there is none. */
  async setForEnrollment(enrollmentId: string, value: unknown, actor: AuditActor): Promise<CustomerIdOutcome> {
    const enrollment = await this.em.fork().findOne(Enrollment, { id: enrollmentId }, { populate: ['participant', 'group'] });
    if (!enrollment) throw new NotFoundException();
    return this.set(enrollment.group.groupId, enrollment.participant.ogscId, value, actor);
  }
}
