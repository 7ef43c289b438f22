import type { EntityManager } from '@mikro-orm/postgresql';
import { EnvironmentStamp } from './environment-stamp.entity.js';

export interface EnvironmentIdentity {
  type: string;
  id: string;
}

/** Raised when a database belongs to another DSP environment, or was never migrated. */
export class EnvironmentMismatchError extends Error {
  override name = 'EnvironmentMismatchError';
}

async function stampTableExists(em: EntityManager): Promise<boolean> {
  const [row] = await em.execute<{ exists: boolean }[]>(`select to_regclass('environment_stamp') is not null as exists`);
  return row.exists;
}

/** Throws unless the database is stamped with exactly this environment. */
export async function assertEnvironmentStamp(em: EntityManager, expected: EnvironmentIdentity): Promise<void> {
  const stamp = (await stampTableExists(em)) ? await em.fork().findOne(EnvironmentStamp, { id: 1 }) : null;
  if (!stamp) {
    const [{ name }] = await em.execute<{ name: string }[]>(`select current_database() as name`);
    throw new EnvironmentMismatchError(
      `The database "${name}" has not been migrated for any DSP environment yet: run \`npm run migrate\` first.`,
    );
  }
  if (stamp.environmentType !== expected.type || stamp.environmentId !== expected.id) {
    throw new EnvironmentMismatchError(
      `This database belongs to the ${stamp.environmentType} environment "${stamp.environmentId}", ` +
        `but this process is configured as the ${expected.type} environment "${expected.id}". ` +
        "Environments are isolated and data is never moved between them: point DATABASE_URL at this environment's own database.",
    );
  }
}

/** Before migrating: refuses a database stamped for another environment, so its schema is not touched. */
export async function assertNotForeignEnvironment(em: EntityManager, expected: EnvironmentIdentity): Promise<void> {
  if (!(await stampTableExists(em))) return;
  const stamp = await em.fork().findOne(EnvironmentStamp, { id: 1 });
  if (stamp) await assertEnvironmentStamp(em, expected);
}

/** Writes the stamp if the database has none yet (the first migration). */
export async function stampEnvironment(em: EntityManager, identity: EnvironmentIdentity): Promise<void> {
  await em.execute(
    `insert into environment_stamp (id, environment_type, environment_id, stamped_at) values (1, ?, ?, now()) on conflict (id) do nothing`,
    [identity.type, identity.id],
  );
  await assertEnvironmentStamp(em, identity);
}
