import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditEvent } from '@opendsp/audit';
import { DspConfig } from '@opendsp/config';
import { AdminAccount } from './admin-account.entity.js';
import { AdminToken } from './admin-token.entity.js';
import { issueAdminToken, oneTimeLinkPath } from './admin-tokens.helpers.js';

/**
 * Creates the partner admin named in the configuration if the database has none by that login ID. Safe to
 * run from several processes at once: the unique login ID lets exactly one insert win.
 */
export async function ensurePartnerAdmin(em: EntityManager, config: DspConfig): Promise<AdminAccount> {
  const { partnerAdmin } = config.environment;
  const existing = await em.fork().findOne(AdminAccount, { loginId: partnerAdmin.id }, { populate: ['passwordHash'] });
  if (existing) return existing;
  try {
    return await em.fork().transactional(async (tx) => {
      const admin = new AdminAccount(partnerAdmin.id, partnerAdmin.name, partnerAdmin.email, 'partner-admin');
      const event = new AuditEvent('admin.bootstrapped');
      Object.assign(event, { actorLogin: 'system', targetType: 'admin', targetId: admin.id, detail: { loginId: admin.loginId } });
      tx.persist([admin, event]);
      return admin;
    });
  } catch (error) {
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    return em.fork().findOneOrFail(AdminAccount, { loginId: partnerAdmin.id }, { populate: ['passwordHash'] });
  }
}

/**
 * A new one-time setup link for an admin (default: the configured partner admin, created if missing).
 * Used on first start and by the `admin-setup-link` command. It voids the admin's earlier unused setup links:
 * only the newest one works, so a link that leaked from an old console or terminal scroll-back is dead.
 */
export async function issueSetupLink(
  em: EntityManager,
  config: DspConfig,
  loginId?: string,
): Promise<{ admin: AdminAccount; link: string }> {
  const admin =
    loginId && loginId !== config.environment.partnerAdmin.id
      ? await em.fork().findOne(AdminAccount, { loginId })
      : await ensurePartnerAdmin(em, config);
  if (!admin) throw new Error(`No admin with login ID "${loginId}"`);
  if (admin.disabledAt) throw new Error(`The admin "${admin.loginId}" is disabled; enable them in the portal first`);
  const tx = em.fork();
  await tx.nativeUpdate(AdminToken, { admin: admin.id, purpose: 'setup', usedAt: null }, { usedAt: new Date() });
  const token = issueAdminToken(tx, tx.getReference(AdminAccount, admin.id), 'setup');
  const event = new AuditEvent('admin.setup_link_issued');
  Object.assign(event, { actorLogin: 'system', targetType: 'admin', targetId: admin.id });
  tx.persist(event);
  await tx.flush();
  return { admin, link: `${config.http.publicBaseUrl}${oneTimeLinkPath('setup', token)}` };
}

/** Formats the console message with a setup link (the link is a secret: it goes to the console, never to the logs). */
export function setupLinkMessage(admin: AdminAccount, link: string): string {
  const line = '─'.repeat(72);
  return [
    line,
    ` One-time link to set the password of the admin "${admin.loginId}" (valid for 72 hours, works once):`,
    `   ${link}`,
    ` It is printed only this once. A new link, voiding this one: npm run admin:setup-link (or node dist/apps/dsp/src/cli/admin-setup-link.js)`,
    line,
  ].join('\n');
}

/**
 * On start, makes sure the partner admin exists and, while they have no password and no setup link is
 * waiting, makes one and prints it. The link is printed once, when it is made: a restart, or another web
 * process, prints nothing (the link is a secret; every copy on a console is one more place it can leak).
 * `npm run admin:setup-link` makes a fresh one and voids the old.
 */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrap.name);

  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = await ensurePartnerAdmin(this.em, this.config);
    if (admin.passwordHash !== null) return;
    // One process at a time decides whether a link is waiting, so two starting together print one link.
    const link = await this.em.fork().transactional(async (tx) => {
      await tx.execute(`select pg_advisory_xact_lock(hashtextextended('admin-bootstrap-setup-link', 16))`);
      const waiting = await tx.count(AdminToken, { admin: admin.id, purpose: 'setup', usedAt: null, expiresAt: { $gt: new Date() } });
      if (waiting > 0) return null;
      const token = issueAdminToken(tx, tx.getReference(AdminAccount, admin.id), 'setup');
      const event = new AuditEvent('admin.setup_link_issued');
      Object.assign(event, { actorLogin: 'system', targetType: 'admin', targetId: admin.id });
      tx.persist(event);
      return `${this.config.http.publicBaseUrl}${oneTimeLinkPath('setup', token)}`;
    });
    if (!link) {
      this.logger.log(
        { admin: admin.loginId },
        'partner admin has no password yet; the setup link was printed when it was made (npm run admin:setup-link makes a new one)',
      );
      return;
    }
    this.logger.log({ admin: admin.loginId }, 'partner admin has no password yet: setup link printed to the console');
    // Tests read links through issueSetupLink(); printing them would only fill the test output.
    if (this.config.nodeEnv !== 'test') console.log(setupLinkMessage(admin, link));
  }
}
