import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const root = join(import.meta.dirname, '..', '..');
const builds = join(root, '.test-build');
/** What the build compiles, and what decides its output. */
const SOURCES = ['apps', 'libs', 'test/support'];

function fingerprint(): string {
  const hash = createHash('sha256');
  const add = (path: string) => hash.update(relative(root, path)).update('\0').update(readFileSync(path)).update('\0');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!entry.name.endsWith('.spec.ts')) add(path);
    }
  };
  for (const source of SOURCES) walk(join(root, source));
  add(join(root, '.swcrc'));
  add(join(root, 'package-lock.json'));
  return hash.digest('hex').slice(0, 16);
}

/**
 * Compiles apps, libs and test support once per state of the sources into `.test-build/<fingerprint>/`
 * (inside the repository, so compiled files still find node_modules), for tests that need a second real
 * process. Test files in every worker share it: the first to ask builds beside it and renames the result
 * into place, so nobody sees a half-written build. Builds of other sources are removed when a new one lands.
 */
export async function buildForChildProcesses(): Promise<{ dir: string }> {
  const id = fingerprint();
  const dir = join(builds, id);
  if (existsSync(join(dir, '.complete'))) return { dir };
  const scratch = join(builds, `${id}.${process.pid}.tmp`);
  await rm(scratch, { recursive: true, force: true });
  await promisify(execFile)(
    join(root, 'node_modules', '.bin', 'swc'),
    [...SOURCES, '-d', scratch, '--copy-files', '--config-file', '.swcrc', '--ignore', '**/*.spec.ts', '--quiet'],
    { cwd: root },
  );
  await writeFile(join(scratch, '.complete'), '');
  try {
    await rename(scratch, dir);
  } catch (error) {
    // Another worker's identical build landed first: use that one.
    if (!existsSync(join(dir, '.complete'))) throw error;
    await rm(scratch, { recursive: true, force: true });
  }
  for (const entry of readdirSync(builds)) {
    if (entry !== id && !entry.endsWith('.tmp')) await rm(join(builds, entry), { recursive: true, force: true });
  }
  return { dir };
}
