import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = join(import.meta.dirname, '..', '..');

/**
 * Compiles apps, libs and test support into a private folder under `.test-build/` (inside the repository,
 * so compiled files still find node_modules), for tests that need a second real process.
 * Returns the folder and a function that removes it.
 */
export async function buildForChildProcesses(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = join(root, '.test-build', randomBytes(4).toString('hex'));
  await promisify(execFile)(
    join(root, 'node_modules', '.bin', 'swc'),
    ['apps', 'libs', 'test/support', '-d', dir, '--copy-files', '--config-file', '.swcrc', '--ignore', '**/*.spec.ts', '--quiet'],
    { cwd: root },
  );
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
