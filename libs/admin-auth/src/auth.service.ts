import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog } from '@opendsp/audit';
import { DspConfig } from '@opendsp/config';
import { SecretBox } from '@opendsp/crypto';
import { AdminAccount } from './admin-account.entity.js';
import { AdminSession } from './admin-session.entity.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { PasswordHasher } from './password-hasher.helpers.js';
import { SessionsService } from './sessions.service.js';
import { totpStep } from './totp.helpers.js';

export type SignInResult = { kind: 'failed' } | { kind: 'signed-in'; token: string } | { kind: 'second-factor'; token: string };

/** Where the TOTP secret's ciphertext is bound (SecretBox associated data). */
export function totpSecretAad(adminId: string) {
  return { table: 'admin_account', column: 'totp_secret', rowId: adminId };
}

/** Sign-in, the second factor and sign-out. */
@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly sessions: SessionsService,
    private readonly throttle: LoginThrottleService,
    private readonly audit: AuditLog,
    private readonly secrets: SecretBox,
    private readonly config: DspConfig,
  ) {}

  /**
   * Checks a login ID and password. Every failure (unknown ID, wrong password, disabled account, lockout)
   * gives the same answer and takes about as long, so the page never tells which it was.
   */
  async signIn(loginId: string, password: string, ip: string | null, previousTokenHash?: string): Promise<SignInResult> {
    const em = this.em.fork();
    // The lockout is checked first: a locked login ID or address costs no argon2 run (the expensive part of a
    // guessing attack), and PasswordHasher.verify still runs for unknown IDs so timing does not tell them apart.
    const locked = await this.throttle.isLocked(loginId, ip);
    const admin = await em.findOne(AdminAccount, { loginId }, { populate: ['passwordHash'] });
    const passwordOk = !locked && (await PasswordHasher.verify(admin?.passwordHash, password));
    if (!admin || !passwordOk || admin.disabledAt || locked) {
      const lockedNow = locked ? false : await this.throttle.recordFailure(loginId, ip);
      await this.audit.recordNow({
        action: 'auth.login_failed',
        actor: { adminId: admin?.id ?? null, login: loginId.slice(0, 200), ip },
        detail: { reason: locked ? 'locked' : !admin ? 'unknown-login' : admin.disabledAt ? 'disabled' : 'wrong-password' },
      });
      if (lockedNow) {
        this.logger.warn({ ip }, 'login ID locked after repeated failures');
        await this.audit.recordNow({ action: 'auth.locked_out', actor: { adminId: admin?.id ?? null, login: loginId.slice(0, 200), ip } });
      }
      return { kind: 'failed' };
    }
    await this.throttle.clear(loginId);
    return em.transactional(async (tx) => {
      const account = await tx.findOneOrFail(AdminAccount, { id: admin.id }, { populate: ['passwordHash', 'totpSecretCiphertext'] });
      // Parameters changed since this hash was made (or it came from elsewhere): store one made with today's.
      if (PasswordHasher.needsRehash(account.passwordHash!)) account.passwordHash = await PasswordHasher.hash(password);
      if (previousTokenHash) await tx.nativeDelete(AdminSession, { tokenHash: previousTokenHash });
      if (account.totpSecretCiphertext) return { kind: 'second-factor', token: this.sessions.start(tx, account, 'second-factor', ip) };
      account.lastLoginAt = new Date();
      this.audit.record(tx, { action: 'auth.login', actor: { adminId: account.id, login: account.loginId, ip } });
      return { kind: 'signed-in', token: this.sessions.start(tx, account, 'signed-in', ip) };
    });
  }

  /** Completes a sign-in waiting for its TOTP code; the half-signed-in session is replaced by a new one. */
  async completeSecondFactor(pendingTokenHash: string, adminId: string, code: string, ip: string | null): Promise<SignInResult> {
    const em = this.em.fork();
    const admin = await em.findOneOrFail(AdminAccount, { id: adminId }, { populate: ['totpSecretCiphertext'] });
    const locked = await this.throttle.isLocked(admin.loginId, ip);
    const step =
      !locked && admin.totpSecretCiphertext
        ? totpStep(this.secrets.decrypt(admin.totpSecretCiphertext, totpSecretAad(admin.id)), code)
        : null;
    // A code is good once: the step is spent by one conditional UPDATE, so of two requests carrying the same
    // code at the same moment exactly one wins, and a step at or before the last accepted one is a replay.
    const signedIn =
      step === null
        ? null
        : await em.transactional(async (tx) => {
            if (!(await spendTotpStep(tx, adminId, step))) return null;
            const account = await tx.findOneOrFail(AdminAccount, { id: adminId });
            account.lastLoginAt = new Date();
            await tx.nativeDelete(AdminSession, { tokenHash: pendingTokenHash });
            this.audit.record(tx, {
              action: 'auth.login',
              actor: { adminId: account.id, login: account.loginId, ip },
              detail: { secondFactor: 'totp' },
            });
            return { kind: 'signed-in', token: this.sessions.start(tx, account, 'signed-in', ip) } as const;
          });
    if (!signedIn) {
      if (!locked) await this.throttle.recordFailure(admin.loginId, ip);
      await this.audit.recordNow({ action: 'auth.totp_failed', actor: { adminId: admin.id, login: admin.loginId, ip } });
      return { kind: 'failed' };
    }
    await this.throttle.clear(admin.loginId);
    return signedIn;
  }

  /** Ends the session and records it. */
  async signOut(tokenHash: string, actor: { adminId: string | null; login: string | null; ip: string | null }): Promise<void> {
    await this.sessions.end(tokenHash);
    if (actor.adminId) await this.audit.recordNow({ action: 'auth.logout', actor });
  }
}

/**
 * Marks a TOTP step used, atomically: one UPDATE that succeeds only while the step is after the last one
 * accepted. True when this call spent it; false for a replay, however concurrent.
 */
export async function spendTotpStep(em: EntityManager, adminId: string, step: number): Promise<boolean> {
  const updated = await em.nativeUpdate(
    AdminAccount,
    { id: adminId, totpSecretCiphertext: { $ne: null }, $or: [{ totpLastStep: null }, { totpLastStep: { $lt: String(step) } }] },
    { totpLastStep: String(step) },
  );
  return updated === 1;
}
