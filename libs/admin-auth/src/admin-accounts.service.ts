import { Injectable, NotFoundException } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import { DspConfig, type Language } from '@opendsp/config';
import { SecretBox } from '@opendsp/crypto';
import { isLanguage, translate, type FieldErrors } from '@opendsp/i18n';
import { Mailer } from '@opendsp/mail';
import { AdminAccount, type AdminRole } from './admin-account.entity.js';
import { AdminSession } from './admin-session.entity.js';
import { AdminToken, type AdminTokenPurpose } from './admin-token.entity.js';
import { findUsableToken, issueAdminToken, oneTimeLinkPath, TOKEN_LIFETIME_MS } from './admin-tokens.helpers.js';
import { spendTotpStep, totpSecretAad } from './auth.service.js';
import { PasswordHasher } from './password-hasher.helpers.js';
import { hashToken } from './secret-token.helpers.js';
import { passwordProblem } from './password-policy.rules.js';
import { SessionsService } from './sessions.service.js';
import { totpStep } from './totp.helpers.js';

/** A reset link is mailed at most this often per admin, so the form cannot flood a mailbox. */
const RESET_MAIL_INTERVAL_MS = 2 * 60_000;

export type Outcome = { ok: true } | { ok: false; errors: FieldErrors };

export interface NewAdmin {
  loginId: string;
  displayName: string;
  email: string;
  role: AdminRole;
}

/** Admin accounts: passwords through one-time links, invitations, disabling, own-account settings. */
@Injectable()
export class AdminAccountsService {
  constructor(
    private readonly em: EntityManager,
    private readonly sessions: SessionsService,
    private readonly audit: AuditLog,
    private readonly mailer: Mailer,
    private readonly secrets: SecretBox,
    private readonly config: DspConfig,
  ) {}

  /** How many admins may sign in (not disabled). A plain statement: the dashboard asks on every view. */
  async activeCount(): Promise<number> {
    const [row] = await this.em
      .getConnection()
      .execute<{ count: number }[]>(`select count(*)::int as count from admin_account where disabled_at is null`);
    return row.count;
  }

  /** The absolute URL of a one-time link. */
  linkFor(purpose: AdminTokenPurpose, token: string): string {
    return `${this.config.http.publicBaseUrl}${oneTimeLinkPath(purpose, token)}`;
  }

  /** The admin behind a usable one-time link, or null (unknown, used, expired, or the admin is disabled). */
  async tokenHolder(token: string, purpose: AdminTokenPurpose): Promise<AdminAccount | null> {
    const found = await findUsableToken(this.em.fork(), token);
    return found && found.purpose === purpose ? found.admin : null;
  }

  /**
   * Sets the password through a one-time link. The link and every other open link of the admin stop
   * working, and every session of the admin ends.
   */
  async setPasswordWithToken(
    token: string,
    purpose: AdminTokenPurpose,
    password: string,
    confirmation: string,
    ip: string | null,
  ): Promise<Outcome | null> {
    return this.em.fork().transactional(async (em) => {
      const found = await findUsableToken(em, token);
      if (!found || found.purpose !== purpose) return null;
      const errors = this.newPasswordErrors(password, confirmation, found.admin.loginId);
      if (errors) return { ok: false, errors };
      const admin = found.admin;
      admin.passwordHash = await PasswordHasher.hash(password);
      await em.nativeUpdate(AdminToken, { admin: admin.id, usedAt: null }, { usedAt: new Date() });
      await this.sessions.endAllOf(em, admin.id);
      this.audit.record(em, {
        action: purpose === 'setup' ? 'auth.setup_completed' : 'auth.password_reset',
        actor: { adminId: admin.id, login: admin.loginId, ip },
      });
      return { ok: true } as const;
    });
  }

  /**
   * Mails a reset link when the login ID belongs to an enabled admin. The caller shows the same answer
   * either way, so the form does not reveal which login IDs exist.
   */
  async requestPasswordReset(loginId: string, ip: string | null): Promise<void> {
    const em = this.em.fork();
    const admin = await em.findOne(AdminAccount, { loginId });
    this.audit.record(em, {
      action: 'auth.password_reset_requested',
      actor: { adminId: admin?.id ?? null, login: loginId.slice(0, 200), ip },
    });
    if (!admin || admin.disabledAt) return em.flush();
    const recent = await em.count(AdminToken, {
      admin: admin.id,
      purpose: 'reset',
      createdAt: { $gt: new Date(Date.now() - RESET_MAIL_INTERVAL_MS) },
    });
    if (recent > 0) return em.flush();
    const issuedAt = new Date();
    const token = issueAdminToken(em, admin, 'reset', issuedAt);
    await em.flush();
    const lang = this.languageOf(admin);
    await this.mailer.send({
      to: admin.email,
      subject: translate(lang, 'mail.reset.subject', { partner: this.config.environment.partnerName }),
      text: translate(lang, 'mail.reset.body', { name: admin.displayName, link: this.linkFor('reset', token), minutes: 30 }),
      linkExpiresAt: new Date(issuedAt.getTime() + TOKEN_LIFETIME_MS.reset),
    });
  }

  /** Changes one's own password after checking the current one; other sessions of the admin end. */
  async changePassword(
    adminId: string,
    current: string,
    password: string,
    confirmation: string,
    actor: AuditActor,
    keepTokenHash: string,
  ): Promise<Outcome> {
    return this.em.fork().transactional(async (em) => {
      const admin = await em.findOneOrFail(AdminAccount, { id: adminId }, { populate: ['passwordHash'] });
      if (!(await PasswordHasher.verify(admin.passwordHash, current))) return { ok: false, errors: { current: 'password.current_wrong' } };
      const errors = this.newPasswordErrors(password, confirmation, admin.loginId);
      if (errors) return { ok: false, errors };
      admin.passwordHash = await PasswordHasher.hash(password);
      await em
        .getConnection()
        .execute(
          `delete from admin_session where admin_id = ? and token_hash <> ?`,
          [admin.id, keepTokenHash],
          'run',
          em.getTransactionContext(),
        );
      this.audit.record(em, { action: 'account.password_changed', actor });
      return { ok: true } as const;
    });
  }

  private newPasswordErrors(password: string, confirmation: string, loginId: string): FieldErrors | null {
    const problem = passwordProblem(password, loginId);
    if (problem) return { password: problem };
    if (password !== confirmation) return { confirmation: 'password.mismatch' };
    return null;
  }

  async setLanguage(adminId: string, language: Language): Promise<void> {
    await this.em.fork().nativeUpdate(AdminAccount, { id: adminId }, { language });
  }

  languageOf(admin: AdminAccount): Language {
    return isLanguage(admin.language) ? admin.language : this.config.environment.language;
  }

  async hasTotp(adminId: string): Promise<boolean> {
    const admin = await this.em.fork().findOneOrFail(AdminAccount, { id: adminId }, { populate: ['totpSecretCiphertext'] });
    return admin.totpSecretCiphertext !== null;
  }

  /**
   * Turns on TOTP, or replaces the authenticator, once the admin proves three things: they know the password
   * (a session left open is not enough), the new authenticator has the secret (its current code), and, when
   * TOTP is on already, they hold the old authenticator too (a code from it, spent like a sign-in code).
   */
  async enableTotp(
    adminId: string,
    secret: string,
    code: string,
    actor: AuditActor,
    proof: { current: string; currentCode?: string },
  ): Promise<Outcome> {
    return this.em.fork().transactional(async (em): Promise<Outcome> => {
      const admin = await em.findOneOrFail(AdminAccount, { id: adminId }, { populate: ['passwordHash', 'totpSecretCiphertext'] });
      if (!(await PasswordHasher.verify(admin.passwordHash, proof.current)))
        return { ok: false, errors: { current: 'password.current_wrong' } };
      if (!/^[A-Z2-7]{32}$/.test(secret)) return { ok: false, errors: { code: 'totp.invalid' } };
      const step = totpStep(secret, code);
      if (step === null) return { ok: false, errors: { code: 'totp.invalid' } };
      if (admin.totpSecretCiphertext) {
        const oldStep = proof.currentCode
          ? totpStep(this.secrets.decrypt(admin.totpSecretCiphertext, totpSecretAad(admin.id)), proof.currentCode)
          : null;
        if (oldStep === null || !(await spendTotpStep(em, admin.id, oldStep)))
          return { ok: false, errors: { currentCode: 'totp.invalid' } };
      }
      const replacing = admin.totpSecretCiphertext !== null;
      await em.nativeUpdate(
        AdminAccount,
        { id: admin.id },
        { totpSecretCiphertext: this.secrets.encrypt(secret, totpSecretAad(admin.id)), totpLastStep: String(step) },
      );
      this.audit.record(em, { action: 'account.totp_enabled', actor, detail: replacing ? { replaced: true } : undefined });
      return { ok: true } as const;
    });
  }

  /**
   * A partner admin turns off another admin's TOTP (a lost phone); that admin signs in with the password
   * alone until they enrol again. Their sessions end. Audited as admin.totp_reset.
   */
  async resetTotp(id: string, actor: AuditActor): Promise<Outcome> {
    if (id === actor.adminId) return { ok: false, errors: { admin: 'admins.totp_reset_self' } };
    return this.em.fork().transactional(async (em) => {
      const admin = await this.get(em, id);
      await em.nativeUpdate(AdminAccount, { id: admin.id }, { totpSecretCiphertext: null, totpLastStep: null });
      await em.nativeDelete(AdminSession, { admin: admin.id });
      this.audit.record(em, { action: 'admin.totp_reset', actor, target: { type: 'admin', id: admin.id } });
      return { ok: true } as const;
    });
  }

  /** Turns TOTP off; needs the current password, so a session left open is not enough. */
  async disableTotp(adminId: string, current: string, actor: AuditActor): Promise<Outcome> {
    return this.em.fork().transactional(async (em) => {
      const admin = await em.findOneOrFail(AdminAccount, { id: adminId }, { populate: ['passwordHash'] });
      if (!(await PasswordHasher.verify(admin.passwordHash, current))) return { ok: false, errors: { current: 'password.current_wrong' } };
      admin.totpSecretCiphertext = null;
      admin.totpLastStep = null;
      this.audit.record(em, { action: 'account.totp_disabled', actor });
      return { ok: true } as const;
    });
  }

  /** One page of admins in login ID order (keyset on the unique login ID index). */
  async page(after: string | undefined, limit: number): Promise<{ admins: AdminAccount[]; nextAfter: string | null }> {
    const admins = await this.em
      .fork()
      .find(AdminAccount, after ? { loginId: { $gt: after } } : {}, { orderBy: { loginId: 'asc' }, limit: limit + 1 });
    const more = admins.length > limit;
    const shown = admins.slice(0, limit);
    return { admins: shown, nextAfter: more ? shown.at(-1)!.loginId : null };
  }

  async get(em: EntityManager, id: string): Promise<AdminAccount> {
    const admin = /^[0-9a-f-]{36}$/.test(id) ? await em.findOne(AdminAccount, { id }) : null;
    if (!admin) throw new NotFoundException();
    return admin;
  }

  /**
   * Creates an admin without a password in `em`'s transaction and returns the invitation token; the caller
   * mails it after the transaction commits.
   */
  async invite(
    em: EntityManager,
    input: NewAdmin,
    actor: AuditActor,
  ): Promise<{ admin: AdminAccount; token: string } | { errors: FieldErrors }> {
    if (await em.count(AdminAccount, { loginId: input.loginId })) return { errors: { loginId: 'admins.login_taken' } };
    const admin = new AdminAccount(input.loginId, input.displayName, input.email, input.role);
    em.persist(admin);
    const token = issueAdminToken(em, admin, 'setup');
    this.audit.record(em, {
      action: 'admin.invited',
      actor,
      target: { type: 'admin', id: admin.id },
      detail: { loginId: admin.loginId, role: admin.role },
    });
    return { admin, token };
  }

  /** Mails an invitation (setup) link. */
  async mailSetupLink(admin: AdminAccount, token: string): Promise<void> {
    const lang = this.languageOf(admin);
    const issued = await this.em.fork().findOne(AdminToken, { tokenHash: hashToken(token) });
    await this.mailer.send({
      to: admin.email,
      subject: translate(lang, 'mail.invite.subject', { partner: this.config.environment.partnerName }),
      text: translate(lang, 'mail.invite.body', { name: admin.displayName, loginId: admin.loginId, link: this.linkFor('setup', token) }),
      linkExpiresAt: issued?.expiresAt ?? new Date(Date.now() + TOKEN_LIFETIME_MS.setup),
    });
  }

  /** Issues and mails a fresh setup link for an admin (a lost invitation). */
  async reissueSetupLink(id: string, actor: AuditActor): Promise<void> {
    const em = this.em.fork();
    const admin = await this.get(em, id);
    const token = issueAdminToken(em, admin, 'setup');
    this.audit.record(em, { action: 'admin.setup_link_issued', actor, target: { type: 'admin', id: admin.id } });
    await em.flush();
    await this.mailSetupLink(admin, token);
  }

  /** Disables an admin and ends their sessions at once. Nobody disables themselves (no locking out the last admin by accident). */
  async setDisabled(id: string, disabled: boolean, actor: AuditActor): Promise<Outcome> {
    return this.em.fork().transactional(async (em) => {
      const admin = await this.get(em, id);
      if (admin.id === actor.adminId) return { ok: false, errors: { admin: 'admins.not_yourself' } };
      admin.disabledAt = disabled ? new Date() : null;
      if (disabled) await this.sessions.endAllOf(em, admin.id);
      this.audit.record(em, { action: disabled ? 'admin.disabled' : 'admin.enabled', actor, target: { type: 'admin', id: admin.id } });
      return { ok: true } as const;
    });
  }
}
