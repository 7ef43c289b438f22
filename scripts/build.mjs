// `npm run build`: compiles apps/ and libs/ with SWC so that a running platform never loses its files.
//
// Every build lands in its own folder, .dist/<fingerprint of the sources>/, and `dist` is a symbolic link to
// the current one, replaced in one rename(2). Node resolves a started process's files through the link once
// (its main module's real path), so a platform started from `dist` keeps serving its own build's views and
// static files while a CLI command builds and swaps in a new one. When the sources have not changed since the
// last build, nothing is compiled and nothing moves. The newest KEEP_BUILDS builds are kept.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const builds = join(root, '.dist');
const link = join(root, 'dist');
const KEEP_BUILDS = 5;
const quiet = process.argv.includes('--quiet');

/** Files whose content decides the build's output: the sources SWC compiles or copies, and its settings. */
function sourceFiles() {
  const files = [join(root, '.swcrc'), join(root, 'package-lock.json')];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!entry.name.endsWith('.spec.ts')) files.push(path);
    }
  };
  walk(join(root, 'apps'));
  walk(join(root, 'libs'));
  return files.sort();
}

function fingerprint() {
  const hash = createHash('sha256');
  for (const file of sourceFiles()) hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

function currentBuild() {
  try {
    return lstatSync(link).isSymbolicLink() ? readlinkSync(link) : null;
  } catch {
    return null;
  }
}

const id = fingerprint();
const target = join('.dist', id);
if (currentBuild() === target && existsSync(join(builds, id, '.complete'))) {
  if (!quiet) console.log(`dist is up to date (${id})`);
  process.exit(0);
}

mkdirSync(builds, { recursive: true });
if (!existsSync(join(builds, id, '.complete'))) {
  // Compile beside the others and rename into place, so a half-written build never has the final name.
  const scratch = join(builds, `${id}.${process.pid}.tmp`);
  rmSync(scratch, { recursive: true, force: true });
  execFileSync(
    join(root, 'node_modules', '.bin', 'swc'),
    ['apps', 'libs', '-d', scratch, '--copy-files', '--config-file', '.swcrc', '--ignore', '**/*.spec.ts', '--quiet'],
    { cwd: root, stdio: 'inherit' },
  );
  writeFileSync(join(scratch, '.complete'), `${new Date().toISOString()}\n`);
  rmSync(join(builds, id), { recursive: true, force: true });
  try {
    renameSync(scratch, join(builds, id));
  } catch (error) {
    // Another build of the same sources finished first: use it.
    if (!existsSync(join(builds, id, '.complete'))) throw error;
    rmSync(scratch, { recursive: true, force: true });
  }
}

// A new link under a temporary name, renamed over `dist`: the rename replaces the old link atomically.
const nextLink = join(root, `.dist-link.${process.pid}.tmp`);
rmSync(nextLink, { force: true });
symlinkSync(target, nextLink);
if (existsSync(link) && !lstatSync(link).isSymbolicLink()) {
  // A `dist` folder from before builds were kept side by side: moved aside once (it cannot be swapped atomically).
  renameSync(link, join(builds, `legacy-${Date.now()}`));
}
renameSync(nextLink, link);
if (!quiet) console.log(`built dist (${id})`);

// Keep the newest builds (a platform started from an older one keeps running on it); the current one always stays.
const entries = readdirSync(builds)
  .filter((name) => name !== id && !name.endsWith('.tmp'))
  .map((name) => ({ name, mtime: statSync(join(builds, name)).mtimeMs }))
  .sort((a, b) => b.mtime - a.mtime);
for (const { name } of entries.slice(KEEP_BUILDS - 1)) rmSync(join(builds, name), { recursive: true, force: true });
