import { hash } from '@node-rs/argon2';
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
