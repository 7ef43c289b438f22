import { hash, verify } from '@node-rs/argon2';
import type { EntityManager } from '@mikro-orm/postgresql';
import { SandboxUser } from './sandbox-user.entity.js';

/** Creates a test user, or leaves an existing one with that e-mail as it is. Returns the user. */
export async function ensureSandboxUser(em: EntityManager, email: string, password: string): Promise<SandboxUser> {
  const existing = await em.findOne(SandboxUser, { email: email.toLowerCase() });
  if (existing) return existing;
  const user = new SandboxUser(email, await hash(password));
  await em.persist(user).flush();
  return user;
}

// Verified against when no user has the e-mail, so an unknown address takes as long as a wrong password.
let decoyHash: Promise<string> | undefined;

/** The user with this e-mail and password, or null; never tells which of the two was wrong. */
export async function verifySandboxUserCredentials(em: EntityManager, email: string, password: string): Promise<SandboxUser | null> {
  const user = await em.findOne(SandboxUser, { email: email.trim().toLowerCase() }, { populate: ['passwordHash'] });
  if (!user) {
    decoyHash ??= hash('decoy password that matches nothing');
    await verify(await decoyHash, password).catch(() => false);
    return null;
  }
  return (await verify(user.passwordHash, password).catch(() => false)) ? user : null;
}
