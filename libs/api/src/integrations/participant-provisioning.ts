import { randomInt } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { PasswordHasher } from '@opendsp/admin-auth';
import { ProgramGroup } from '@opendsp/groups';
import { Enrollment, Participant } from '@opendsp/participants';

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
    readonly problems: { row: number; field: 'internalCustomerId'; code: 'internal_customer_id_taken' | 'duplicate_in_request' }[],
  ) {
    super('provisioning rejected');
  }
}

/**
 * Creates pre-created participants in a group (issue 6), all or nothing. The enrollment work provides the
 * real service (`ParticipantProvisioning.provision(groupId, rows)`); the API depends only on this shape.
 * `groupId` is the group's public ID.
 */
export interface ParticipantProvisioningPort {
  provision(groupId: string, rows: ProvisioningRow[]): Promise<ProvisionedParticipant[]>;
}

export const PARTICIPANT_PROVISIONING = Symbol('PARTICIPANT_PROVISIONING');

/** Unambiguous characters for generated passwords and login IDs (no 0/O, 1/l/I). */
const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
const LOGIN_ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';
const CREDENTIALS_VALID_DAYS = 30;

function randomString(alphabet: string, length: number): string {
  let value = '';
  for (let i = 0; i < length; i++) value += alphabet[randomInt(alphabet.length)];
  return value;
}

/**
 * Stand-in until the enrollment work's provisioning service is merged: Participant + Enrollment(invited)
 * with a generated login ID and a 20-character CSPRNG password stored as argon2id, in one transaction.
 * It has no CSV import, no credential sheet and a fixed 30-day expiry; those belong to that service.
 */
@Injectable()
export class SimpleParticipantProvisioning implements ParticipantProvisioningPort {
  constructor(private readonly em: EntityManager) {}

  async provision(groupId: string, rows: ProvisioningRow[]): Promise<ProvisionedParticipant[]> {
    const seen = new Map<string, number>();
    const duplicates = rows.flatMap((row, index) => {
      const id = row.internalCustomerId ?? null;
      if (id === null) return [];
      if (seen.has(id)) return [{ row: index, field: 'internalCustomerId' as const, code: 'duplicate_in_request' as const }];
      seen.set(id, index);
      return [];
    });
    if (duplicates.length) throw new ProvisioningRejected(duplicates);

    const passwords = rows.map(() => randomString(PASSWORD_ALPHABET, 20));
    const hashes = await Promise.all(passwords.map((password) => PasswordHasher.hash(password)));
    try {
      return await this.em.fork().transactional(async (em) => {
        const group = await em.findOneOrFail(ProgramGroup, { groupId });
        const wanted = [...seen.keys()];
        const taken = wanted.length ? await em.find(Enrollment, { group, internalCustomerId: { $in: wanted } }) : [];
        if (taken.length) {
          throw new ProvisioningRejected(
            taken.map((enrollment) => ({
              row: seen.get(enrollment.internalCustomerId!)!,
              field: 'internalCustomerId' as const,
              code: 'internal_customer_id_taken' as const,
            })),
          );
        }
        const now = new Date();
        return rows.map((row, index) => {
          const participant = new Participant('pre_created');
          participant.loginId = `p-${randomString(LOGIN_ALPHABET, 10)}`;
          participant.passwordHash = hashes[index];
          participant.mustChangePassword = true;
          participant.credentialsExpireAt = new Date(now.getTime() + CREDENTIALS_VALID_DAYS * 86_400_000);
          const enrollment = new Enrollment(participant, group, 'invited');
          enrollment.invitedAt = now;
          enrollment.internalCustomerId = row.internalCustomerId ?? null;
          em.persist([participant, enrollment]);
          return {
            ogscId: participant.ogscId,
            loginId: participant.loginId,
            password: passwords[index],
            internalCustomerId: enrollment.internalCustomerId,
          };
        });
      });
    } catch (error) {
      // A concurrent request took an ID between the check and the insert: the unique index decided.
      if (error instanceof UniqueConstraintViolationException && /internal_customer_id/.test(error.message)) {
        throw new ProvisioningRejected(
          [...seen.values()].map((row) => ({ row, field: 'internalCustomerId' as const, code: 'internal_customer_id_taken' as const })),
        );
      }
      throw error;
    }
  }
}
