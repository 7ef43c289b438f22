import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Credentials the local launcher makes up on first start and keeps under DATA_DIR, never in the repository. */
export interface LocalSecrets {
  omronClientSecret: string;
  /** An ENCRYPTION_KEYS entry (`local-1:base64`) for secrets at rest. */
  encryptionKey: string;
  adminPassword: string;
  sandboxUserPassword: string;
}

const password = (): string => randomBytes(12).toString('base64url');

/** Reads `local-secrets.json` from the data folder, creating it (mode 0600) with fresh random values the first time. */
export async function loadOrCreateLocalSecrets(dataDir: string): Promise<LocalSecrets> {
  const file = join(dataDir, 'local-secrets.json');
  const fresh = (): LocalSecrets => ({
    omronClientSecret: randomBytes(32).toString('hex'),
    encryptionKey: `local-1:${randomBytes(32).toString('base64')}`,
    adminPassword: password(),
    sandboxUserPassword: password(),
  });
  try {
    // Secrets added in later versions are generated for data folders made before them.
    const stored = JSON.parse(await readFile(file, 'utf8')) as Partial<LocalSecrets>;
    const complete = { ...fresh(), ...stored };
    if (Object.keys(complete).length !== Object.keys(stored).length)
      await writeFile(file, JSON.stringify(complete, null, 2), { mode: 0o600 });
    return complete;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secrets = fresh();
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
  return secrets;
}
