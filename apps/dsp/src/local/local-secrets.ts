import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Credentials the local launcher makes up on first start and keeps under DATA_DIR, never in the repository. */
export interface LocalSecrets {
  omronClientSecret: string;
  adminPassword: string;
  sandboxUserPassword: string;
}

const password = (): string => randomBytes(12).toString('base64url');

/** Reads `local-secrets.json` from the data folder, creating it (mode 0600) with fresh random values the first time. */
export async function loadOrCreateLocalSecrets(dataDir: string): Promise<LocalSecrets> {
  const file = join(dataDir, 'local-secrets.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LocalSecrets;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secrets: LocalSecrets = {
    omronClientSecret: randomBytes(32).toString('hex'),
    adminPassword: password(),
    sandboxUserPassword: password(),
  };
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
  return secrets;
}
