import { BadRequestException, Injectable } from '@nestjs/common';
import { InternalCustomerIds } from '@opendsp/participants';

/** Another participant of the group already has this internal customer ID. */
export class InternalCustomerIdTaken extends Error {
  constructor() {
    super('internal customer ID taken');
  }
}

/**
 * Sets (or, with null, clears) the partner's customer ID of a participant in one group; unique within the
 * group. Identifies the enrollment by its ID (the API has resolved and authorised it already).
 */
export interface InternalCustomerIdSetterPort {
  set(enrollmentId: string, internalCustomerId: string | null): Promise<void>;
}

export const INTERNAL_CUSTOMER_ID_SETTER = Symbol('INTERNAL_CUSTOMER_ID_SETTER');

/** The API's side of `InternalCustomerIds` (libs/participants): the same normalisation, uniqueness rule and audit as the portal. */
@Injectable()
export class InternalCustomerIdAdapter implements InternalCustomerIdSetterPort {
  constructor(private readonly customerIds: InternalCustomerIds) {}

  async set(enrollmentId: string, internalCustomerId: string | null): Promise<void> {
    const outcome = await this.customerIds.setForEnrollment(enrollmentId, internalCustomerId ?? '', {
      adminId: null,
      login: 'api',
      ip: null,
    });
    if (outcome.ok) return;
    if (outcome.errors.internalCustomerId === 'participants.customer_id_taken_single') throw new InternalCustomerIdTaken();
    throw new BadRequestException('internalCustomerId is not a valid customer ID');
  }
}
