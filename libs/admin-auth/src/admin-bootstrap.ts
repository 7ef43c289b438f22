import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditEvent } from '@opendsp/audit';
import { DspConfig } from '@opendsp/config';
import { AdminAccount } from './admin-account.entity.js';
import { issueAdminToken, oneTimeLinkPath } from './admin-tokens.js';

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
 * Used on first start and by the `admin-setup-link` command; earlier links stay valid until they expire.
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
    ` A new link: node dist/apps/dsp/src/cli/admin-setup-link.js (after npm run build)`,
    line,
  ].join('\n');
}

/** On start, makes sure the partner admin exists and, while they have no password, prints a setup link. */
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
    const { link } = await issueSetupLink(this.em, this.config);
    this.logger.log({ admin: admin.loginId }, 'partner admin has no password yet: setup link printed to the console');
    // Tests read links through issueSetupLink(); printing them would only fill the test output.
    if (this.config.nodeEnv !== 'test') console.log(setupLinkMessage(admin, link));
  }
}
