import { Injectable } from '@nestjs/common';
import { ParticipantProvisioning } from '@opendsp/participants';

/** One participant to pre-create: optionally with the partner's customer ID for them in the group. */
export interface ProvisioningRow {
  internalCustomerId?: string | null;
}

/** The one-time credentials of a pre-created participant; the password exists nowhere else afterwards. */
export interface ProvisionedParticipant {
  ogscId: string;
  loginId: string;
  password: string;
  internalCustomerId: string | null;
}

/** A row that cannot be provisioned; nothing of the batch is kept. `row` is 0-based. */
export class ProvisioningRejected extends Error {
  constructor(
    readonly problems: {
      row: number;
      field: 'internalCustomerId';
      code: 'internal_customer_id_taken' | 'duplicate_in_request' | 'invalid';
    }[],
  ) {
    super('provisioning rejected');
  }
}

/**
 * Creates pre-created participants in a group (issue 6), all or nothing.
 * `groupId` is the group's public ID.
 */
export interface ParticipantProvisioningPort {
  provision(groupId: string, rows: ProvisioningRow[]): Promise<ProvisionedParticipant[]>;
}

export const PARTICIPANT_PROVISIONING = Symbol('PARTICIPANT_PROVISIONING');

/**
 * The API's side of `ParticipantProvisioning` (libs/participants): the same validation, login IDs, passwords,
 * expiry setting and audit as the portal's provisioning; the credentials go back in the response instead of a
 * credential sheet. Problems are mapped to the API's field errors (`row` is 0-based).
 */
@Injectable()
export class ParticipantProvisioningAdapter implements ParticipantProvisioningPort {
  constructor(private readonly provisioning: ParticipantProvisioning) {}

  async provision(groupId: string, rows: ProvisioningRow[]): Promise<ProvisionedParticipant[]> {
    const outcome = await this.provisioning.provision(
      groupId,
      rows.map((row, index) => ({ line: index + 1, internalCustomerId: row.internalCustomerId ?? null })),
      { adminId: null, login: 'api', ip: null },
      { source: 'api' },
    );
    if (outcome.ok) return outcome.credentials;
    throw new ProvisioningRejected(
      outcome.problems.map((problem) => ({
        row: (problem.line ?? 1) - 1,
        field: 'internalCustomerId' as const,
        code:
          problem.message === 'participants.customer_id_repeated'
            ? ('duplicate_in_request' as const)
            : problem.message === 'participants.customer_id_taken'
              ? ('internal_customer_id_taken' as const)
              : ('invalid' as const),
      })),
    );
  }
}
