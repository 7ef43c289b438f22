import { Injectable } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { Enrollment } from '@opendsp/participants';

/** Another participant of the group already has this internal customer ID. */
export class InternalCustomerIdTaken extends Error {
  constructor() {
    super('internal customer ID taken');
  }
}

/**
 * Sets (or, with null, clears) the partner's customer ID of a participant in one group; unique within the
 * group. The participants work provides the real setter; the API depends only on this shape. Identifies the
 * enrollment by its ID (the API has resolved and authorised it already).
 */
export interface InternalCustomerIdSetterPort {
  set(enrollmentId: string, internalCustomerId: string | null): Promise<void>;
}

export const INTERNAL_CUSTOMER_ID_SETTER = Symbol('INTERNAL_CUSTOMER_ID_SETTER');

/** Stand-in until the participants work's setter is merged: updates the enrollment; the unique index decides races. */
@Injectable()
export class SimpleInternalCustomerIdSetter implements InternalCustomerIdSetterPort {
  constructor(private readonly em: EntityManager) {}

  async set(enrollmentId: string, internalCustomerId: string | null): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      const enrollment = await em.findOneOrFail(Enrollment, { id: enrollmentId });
      if (internalCustomerId !== null) {
        const holder = await em.findOne(Enrollment, { group: enrollment.group, internalCustomerId, id: { $ne: enrollmentId } });
        if (holder) throw new InternalCustomerIdTaken();
      }
      enrollment.internalCustomerId = internalCustomerId;
      try {
        await em.flush();
      } catch (error) {
        if (error instanceof UniqueConstraintViolationException) throw new InternalCustomerIdTaken();
        throw error;
      }
    });
  }
}
