import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { LoginThrottleService, PasswordHasher, passwordProblem } from '@opendsp/admin-auth';
import { AuditLog } from '@opendsp/audit';
import type { FieldErrors } from '@opendsp/i18n';
import { Participant } from '@opendsp/participants';
import { ParticipantSession } from './participant-session.entity.js';

export type ParticipantSignInResult =
  | { kind: 'failed' }
  /** Right login ID and password, but the account was never used and its credentials have expired. */
  | { kind: 'expired' }
  | { kind: 'signed-in'; participant: Participant };

/** Throttle keys of participants live apart from the admins' (admin login IDs cannot contain a colon). */
const throttleLogin = (loginId: string) => `participant:${loginId}`;
const throttleAddress = (ip: string | null) => (ip ? `participant:${ip}` : null);

/**
 * Sign-in with the login ID and password a partner pre-created (DSP document 2.1), throttled and locked like
 * the admin sign-in (LOGIN_MAX_FAILURES, LOGIN_LOCKOUT_MINUTES), and the forced choice of a new password.
 * Every failure looks the same to the visitor; "expired" is only said to someone who knew the password.
 */
@Injectable()
export class ParticipantSignInService {
  private readonly logger = new Logger(ParticipantSignInService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly throttle: LoginThrottleService,
    private readonly audit: AuditLog,
  ) {}

  async signIn(loginId: string, password: string, ip: string | null): Promise<ParticipantSignInResult> {
    const em = this.em.fork();
    // The lockout first: a locked login ID or address costs no argon2 run.
    const locked = await this.throttle.isLocked(throttleLogin(loginId), throttleAddress(ip));
    const participant = await em.findOne(Participant, { loginId });
    const passwordOk = !locked && (await PasswordHasher.verify(participant?.passwordHash, password));
    const actor = { adminId: null, login: loginId.slice(0, 200), ip };
    if (!participant || !passwordOk || locked) {
      const lockedNow = locked ? false : await this.throttle.recordFailure(throttleLogin(loginId), throttleAddress(ip));
      // Audited with throttling: failures count towards the lockout, and once the login ID or the address is
      // locked, further attempts add nothing to the audit log (the locked_out event stands for them), so a
      // public sign-in page cannot be used to flood the log. At most LOGIN_MAX_FAILURES rows per login ID, and
      // 4x that per address, per lockout period.
      if (!locked) {
        await this.audit.recordNow({
          action: 'participant.login_failed',
          actor,
          detail: { reason: !participant ? 'unknown-login' : 'wrong-password' },
        });
      }
      if (lockedNow) {
        this.logger.warn({ ip }, 'participant login ID locked after repeated failures');
        await this.audit.recordNow({ action: 'participant.locked_out', actor });
      }
      return { kind: 'failed' };
    }
    await this.throttle.clear(throttleLogin(loginId));
    const now = new Date();
    if (participant.credentialsExpireAt && participant.credentialsExpireAt <= now) {
      await this.audit.recordNow({
        action: 'participant.login_failed',
        actor,
        target: { type: 'participant', id: participant.ogscId },
        detail: { reason: 'expired' },
      });
      return { kind: 'expired' };
    }
    participant.lastSignInAt = now;
    if (PasswordHasher.needsRehash(participant.passwordHash!)) participant.passwordHash = await PasswordHasher.hash(password);
    await em.flush();
    return { kind: 'signed-in', participant };
  }

  /** Replaces the generated password with the participant's own; the account then no longer expires. */
  async setPassword(
    participantId: string,
    password: string,
    confirmation: string,
    ip: string | null,
  ): Promise<{ ok: true } | { ok: false; errors: FieldErrors }> {
    const em = this.em.fork();
    const participant = await em.findOneOrFail(Participant, { id: participantId });
    const problem = passwordProblem(password, participant.loginId ?? undefined);
    if (problem) return { ok: false, errors: { password: problem } };
    if (password !== confirmation) return { ok: false, errors: { confirmation: 'password.mismatch' } };
    if (await PasswordHasher.verify(participant.passwordHash, password))
      return { ok: false, errors: { password: 'participant_password.same' } };
    await em.transactional(async (tx) => {
      const row = await tx.findOneOrFail(Participant, { id: participantId });
      Object.assign(row, { passwordHash: await PasswordHasher.hash(password), mustChangePassword: false, credentialsExpireAt: null });
      // Sessions signed in with the old password end with it.
      await tx.nativeDelete(ParticipantSession, { participant: row.id });
      this.audit.record(tx, {
        action: 'participant.password_changed',
        actor: { adminId: null, login: row.loginId, ip },
        target: { type: 'participant', id: row.ogscId },
      });
    });
    return { ok: true };
  }
}
