import type { EntityManager } from '@mikro-orm/postgresql';
import { AdminAccount } from './admin-account.entity.js';
import { AdminToken, type AdminTokenPurpose } from './admin-token.entity.js';
import { hashToken, newSecretToken } from './secret-token.helpers.js';

/** How long one-time links work: setup and invitation links for three days, reset links for 30 minutes. */
export const TOKEN_LIFETIME_MS: Record<AdminTokenPurpose, number> = { setup: 72 * 3_600_000, reset: 30 * 60_000 };

/** The page a one-time link opens. */
export function oneTimeLinkPath(purpose: AdminTokenPurpose, token: string): string {
  return purpose === 'setup' ? `/setup/${token}` : `/password-reset/${token}`;
}

/** Issues a one-time link token in `em`'s unit of work and returns the token (only its hash is stored). */
export function issueAdminToken(em: EntityManager, admin: AdminAccount, purpose: AdminTokenPurpose, now = new Date()): string {
  const token = newSecretToken();
  em.persist(new AdminToken(hashToken(token), admin, purpose, new Date(now.getTime() + TOKEN_LIFETIME_MS[purpose])));
  return token;
}

/** The unused, unexpired token behind a link, with its (enabled) admin; null for anything else. */
export async function findUsableToken(em: EntityManager, token: string, now = new Date()): Promise<AdminToken | null> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const found = await em.findOne(AdminToken, { tokenHash: hashToken(token) }, { populate: ['admin'] });
  if (!found || found.usedAt || found.expiresAt <= now || found.admin.disabledAt) return null;
  return found;
}
