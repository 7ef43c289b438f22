// Runs one benchmark: `npm run bench -- <name> [args…]` compiles apps, libs, test support and bench with
// SWC into .bench-build/ (inside the repository so node_modules resolve) and runs bench/<name>.ts there.
// Benchmarks print their figures, each next to a baseline measured in the same run.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const [name, ...args] = process.argv.slice(2);
const available = readdirSync(join(root, 'bench'))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.replace(/\.ts$/, ''));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name> [args…]\navailable: ${available.join(', ') || '(none yet)'}`);
  process.exit(2);
}
const out = join(root, '.bench-build');
rmSync(out, { recursive: true, force: true });
execFileSync(
  join(root, 'node_modules', '.bin', 'swc'),
  ['apps', 'libs', 'test/support', 'bench', '-d', out, '--copy-files', '--config-file', '.swcrc', '--ignore', '**/*.spec.ts', '--quiet'],
  { cwd: root, stdio: 'inherit' },
);
const script = join(out, 'bench', `${name}.js`);
if (!existsSync(script)) throw new Error(`compiled benchmark missing: ${script}`);
execFileSync(process.execPath, ['--enable-source-maps', script, ...args], { cwd: root, stdio: 'inherit' });
