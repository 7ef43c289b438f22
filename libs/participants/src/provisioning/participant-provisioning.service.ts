import { ForbiddenException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { PasswordHasher, type AdminRole } from '@opendsp/admin-auth';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import { DspConfig } from '@opendsp/config';
import { ProgramGroup } from '@opendsp/groups';
import { ConsentActivityPort } from '../consent-activity.port.js';
import { Enrollment } from '../enrollment.entity.js';
import { groupById, lockGroup } from '../group-lookup.helpers.js';
import { Participant } from '../participant.entity.js';
import { CredentialSheets, type ProvisionedCredential } from './credential-sheets.service.js';
import { generateLoginId, generatePassword } from './credentials.rules.js';
import { MAX_PROVISION_ROWS, rowProblems, type LineProblem, type ProvisionRow } from './provisioning-csv.parser.js';

export type { ProvisionedCredential } from './credential-sheets.service.js';

/** Where a provisioning request came from, for the audit log. */
export type ProvisionSource = 'form' | 'csv' | 'api';

export interface ProvisionOptions {
  source: ProvisionSource;
  /** Keep the credentials for this admin in a one-time credential sheet (portal); the API answers with them instead. */
  sheetFor?: string;
}

export type ProvisionOutcome =
  | { ok: true; credentials: ProvisionedCredential[]; credentialsExpireAt: Date; sheetId: string | null }
  | { ok: false; problems: LineProblem[] };

// Two hashes at a time: argon2id takes ~20 ms and 19 MiB each; more would only crowd the libuv pool.
const HASH_CONCURRENCY = 2;
const ATTEMPTS = 3;

/**
 * Pre-created accounts (DSP document 2.1): participants a partner registers before they ever sign in, each
 * with a readable login ID, a generated password (stored as argon2id, to be changed at first sign-in, void
 * after PRECREATED_CREDENTIALS_EXPIRE_DAYS unused), an OGSC ID from the start, and an `invited` enrollment in
 * the group. All rows or none: every row is checked first, and everything is written in one transaction.
 */
@Injectable()
export class ParticipantProvisioning {
  private readonly logger = new Logger(ParticipantProvisioning.name);

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditLog,
    private readonly config: DspConfig,
    private readonly sheets: CredentialSheets,
    private readonly consentActivity: ConsentActivityPort,
  ) {}

  /**
   * Creates one participant per row in the group with public ID `groupId` and returns their credentials
   * (the only time the passwords exist in plaintext), or every problem found, with nothing created.
   */
  async provision(groupId: string, rows: ProvisionRow[], actor: AuditActor, options: ProvisionOptions): Promise<ProvisionOutcome> {
    if (rows.length === 0) return { ok: false, problems: [{ line: null, message: 'participants.csv_no_rows' }] };
    if (rows.length > MAX_PROVISION_ROWS) {
      return { ok: false, problems: [{ line: null, message: 'participants.too_many_rows', params: { max: MAX_PROVISION_ROWS } }] };
    }
    const problems = rowProblems(rows);
    if (problems.length > 0) return { ok: false, problems };

    const group = await groupById(this.em.fork(), groupId);
    if (group.archivedAt) return { ok: false, problems: [{ line: null, message: 'participants.group_archived' }] };
    // A cheap look before the expensive hashing; the same check runs again under the group lock.
    const taken = await this.takenCustomerIds(this.em.fork(), group, rows);
    if (taken.length > 0) return { ok: false, problems: taken };

    const passwords = rows.map(() => generatePassword());
    const hashes = await hashAll(passwords);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.write(group, rows, passwords, hashes, actor, options);
      } catch (error) {
        // Only a login ID drawn twice at once by two runs gets here (the group lock orders customer IDs): draw again.
        if (!(error instanceof UniqueConstraintViolationException) || attempt >= ATTEMPTS) throw error;
        this.logger.warn({ groupId, attempt }, 'login ID collision while provisioning; retrying with new IDs');
      }
    }
  }

  /**
   * Issues a new generated password for a pre-created participant who lost theirs (or let it expire): it must
   * be changed at the next sign-in and expires like the first one. The old password, and every session signed
   * in with it, stop working at once.
   *
   * The credentials are the participant's, not the group's: someone also enrolled in another group may only be
   * reset by a partner admin, or a group admin could take over an account that shares data with groups they
   * cannot see. Refused with 403, changing nothing.
   */
  async resetCredentials(
    groupId: string,
    ogscId: string,
    actor: AuditActor,
    options: { sheetFor?: string; actorRole?: AdminRole } = {},
  ): Promise<{ credential: ProvisionedCredential; credentialsExpireAt: Date; sheetId: string | null }> {
    const password = generatePassword();
    const passwordHash = await PasswordHasher.hash(password);
    return this.em.fork().transactional(async (em) => {
      const group = await groupById(em, groupId);
      const enrollment = await em.findOne(
        Enrollment,
        { group, participant: { ogscId }, status: { $ne: 'withdrawn' } },
        { populate: ['participant'] },
      );
      const participant = enrollment?.participant;
      if (!enrollment || !participant || participant.enrollmentMethod !== 'pre_created' || !participant.loginId)
        throw new NotFoundException();
      if (options.actorRole !== 'partner-admin') {
        const elsewhere = await em.count(Enrollment, { participant, group: { $ne: group }, status: { $ne: 'withdrawn' } });
        if (elsewhere > 0) throw new ForbiddenException('Only a partner admin may reset a participant enrolled in other groups');
      }
      const credentialsExpireAt = this.expiry(new Date());
      participant.passwordHash = passwordHash;
      participant.mustChangePassword = true;
      participant.credentialsExpireAt = credentialsExpireAt;
      // The participant page's sessions (libs/consent) end with the password they were signed in with.
      await this.consentActivity.endSessions(em, participant.id);
      const credential = {
        ogscId: participant.ogscId,
        loginId: participant.loginId,
        password,
        internalCustomerId: enrollment.internalCustomerId,
      };
      const sheet = options.sheetFor
        ? this.sheets.create(em, group, options.sheetFor, {
            credentials: [credential],
            credentialsExpireAt: credentialsExpireAt.toISOString(),
          })
        : null;
      this.audit.record(em, {
        action: 'participant.credentials_reset',
        actor,
        target: { type: 'participant', id: participant.ogscId },
        detail: { groupId: group.groupId, loginId: participant.loginId, credentialsExpireAt: credentialsExpireAt.toISOString() },
      });
      return { credential, credentialsExpireAt, sheetId: sheet?.id ?? null };
    });
  }

  private async write(
    group: ProgramGroup,
    rows: ProvisionRow[],
    passwords: string[],
    hashes: string[],
    actor: AuditActor,
    options: ProvisionOptions,
  ): Promise<ProvisionOutcome> {
    return this.em.fork().transactional(async (em): Promise<ProvisionOutcome> => {
      const locked = em.getReference(ProgramGroup, group.id);
      await lockGroup(em, group);
      const taken = await this.takenCustomerIds(em, group, rows);
      if (taken.length > 0) return { ok: false, problems: taken };

      const now = new Date();
      const credentialsExpireAt = this.expiry(now);
      const loginIds = await this.freshLoginIds(em, group.groupId, rows.length);
      const credentials = rows.map((row, index): ProvisionedCredential => {
        const participant = new Participant('pre_created');
        participant.loginId = loginIds[index];
        participant.passwordHash = hashes[index];
        participant.mustChangePassword = true;
        participant.credentialsExpireAt = credentialsExpireAt;
        const enrollment = new Enrollment(participant, locked, 'invited');
        enrollment.internalCustomerId = row.internalCustomerId;
        enrollment.invitedAt = now;
        em.persist([participant, enrollment]);
        return {
          ogscId: participant.ogscId,
          loginId: loginIds[index],
          password: passwords[index],
          internalCustomerId: row.internalCustomerId,
        };
      });
      const sheet = options.sheetFor
        ? this.sheets.create(em, locked, options.sheetFor, { credentials, credentialsExpireAt: credentialsExpireAt.toISOString() }, now)
        : null;
      this.audit.record(em, {
        action: 'participants.provisioned',
        actor,
        target: { type: 'group', id: group.groupId },
        detail: {
          source: options.source,
          count: credentials.length,
          credentialsExpireAt: credentialsExpireAt.toISOString(),
          ogscIds: credentials.map((credential) => credential.ogscId),
        },
      });
      this.logger.log({ groupId: group.groupId, count: credentials.length, source: options.source }, 'participants provisioned');
      return { ok: true, credentials, credentialsExpireAt, sheetId: sheet?.id ?? null };
    });
  }

  private expiry(now: Date): Date {
    return new Date(now.getTime() + this.config.participants.precreatedCredentialsExpireDays * 86_400_000);
  }

  /** Rows whose customer ID another participant of the group has already. */
  private async takenCustomerIds(em: EntityManager, group: ProgramGroup, rows: ProvisionRow[]): Promise<LineProblem[]> {
    const wanted = rows.filter((row) => row.internalCustomerId !== null);
    if (wanted.length === 0) return [];
    const existing = await em.find(
      Enrollment,
      { group: group.id, internalCustomerId: { $in: wanted.map((row) => row.internalCustomerId!) } },
      { fields: ['internalCustomerId'] },
    );
    const taken = new Set(existing.map((enrollment) => enrollment.internalCustomerId));
    return wanted
      .filter((row) => taken.has(row.internalCustomerId))
      .map((row) => ({ line: row.line, message: 'participants.customer_id_taken', params: { id: row.internalCustomerId! } }));
  }

  /** `count` login IDs that no participant has yet and that differ from each other. */
  private async freshLoginIds(em: EntityManager, groupId: string, count: number): Promise<string[]> {
    const chosen = new Set<string>();
    while (chosen.size < count) {
      const candidates = new Set<string>();
      while (candidates.size < count - chosen.size) {
        const candidate = generateLoginId(groupId);
        if (!chosen.has(candidate)) candidates.add(candidate);
      }
      const clashes = await em.find(Participant, { loginId: { $in: [...candidates] } }, { fields: ['loginId'] });
      const clashing = new Set(clashes.map((participant) => participant.loginId));
      for (const candidate of candidates) if (!clashing.has(candidate)) chosen.add(candidate);
    }
    return [...chosen];
  }
}

async function hashAll(passwords: string[]): Promise<string[]> {
  const hashes = new Array<string>(passwords.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < passwords.length) {
      const index = next++;
      hashes[index] = await PasswordHasher.hash(passwords[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASH_CONCURRENCY, passwords.length) }, worker));
  return hashes;
}
