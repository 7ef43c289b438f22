// `npm start` at rest: the resident memory (RSS) of its whole process tree after IDLE_SECONDS without requests,
// the line its banner starts on and the time to ready it prints, next to a baseline measured in the same run:
// the same launcher started as it was before issue 19 (V8's default WebAssembly tiers and heap sizing), and
// npm start's node alone with glibc's default malloc settings (as it ran before MALLOC_ARENA_MAX and
// MALLOC_TRIM_THRESHOLD_ were set).
// Uses the embedded databases, each run in a fresh data folder. `npm run bench -- local-start [idle seconds]`.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/support/test-database.js';

const root = join(import.meta.dirname, '..', '..');
const idleSeconds = Number(process.argv[2] ?? 20);

interface Run {
  label: string;
  rssMb: number;
  processes: string;
  bannerLine: number;
  readyLine: string;
}

/** Each process of the group `pgid`: its RSS in MB and command. */
function groupProcesses(pgid: number): string {
  const out = execFileSync('ps', ['-o', 'rss=,comm=', '-g', String(pgid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const [rss, command] = line.trim().split(/\s+/, 2);
      return `${command} ${(Number(rss) / 1024).toFixed(0)} MB`;
    })
    .join(', ');
}

/** Sum of RSS over every process in the process group `pgid`, in MB. */
function groupRssMb(pgid: number): number {
  const out = execFileSync('ps', ['-o', 'rss=', '-g', String(pgid)], { encoding: 'utf8' });
  return out.split('\n').reduce((sum, line) => sum + (Number(line.trim()) || 0), 0) / 1024;
}

async function measure(label: string, command: string[]): Promise<Run> {
  const dataDir = await mkdtemp(join(tmpdir(), 'opendsp-bench-start-'));
  const [port, sandboxPort, databasePort] = [await freePort(), await freePort(), await freePort()];
  const { DATABASE_URL: _database, NODE_ENV: _nodeEnv, ...inherited } = process.env;
  let output = '';
  const child = spawn(command[0], command.slice(1), {
    cwd: root,
    env: { ...inherited, DATA_DIR: dataDir, PORT: String(port), SANDBOX_PORT: String(sandboxPort), EMBEDDED_DB_PORT: String(databasePort) },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  try {
    while (!output.includes('OpenDSP is running')) {
      if (child.exitCode !== null) throw new Error(`${label} exited early:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    const lines = output.split('\n');
    return {
      label,
      rssMb: groupRssMb(child.pid!),
      processes: groupProcesses(child.pid!),
      bannerLine: lines.findIndex((line) => line.includes('OpenDSP is running')) + 1,
      readyLine: lines.find((line) => line.includes('OpenDSP is running'))!.trim(),
    };
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await new Promise((resolve) => child.once('close', resolve));
    await rm(dataDir, { recursive: true, force: true });
  }
}

execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
const current = await measure('npm start', ['npm', 'start']);
const launcher = 'dist/apps/dsp/src/local/start-local.js';
// npm start's node as it was before glibc's malloc was told to keep fewer arenas and return freed memory.
const defaultMalloc = await measure("npm start's node with default malloc", [
  'node',
  '--liftoff-only',
  '--max-semi-space-size=2',
  '--optimize-for-size',
  '--enable-source-maps',
  launcher,
]);
const baseline = await measure('launcher with V8 defaults', ['node', '--enable-source-maps', launcher]);
for (const run of [current, defaultMalloc, baseline]) {
  console.log(
    `${run.label}: ${run.rssMb.toFixed(0)} MB RSS after ${idleSeconds} s idle (${run.processes}), banner on line ${run.bannerLine}: ${run.readyLine}`,
  );
}
console.log(`ratio: ${(current.rssMb / baseline.rssMb).toFixed(2)}× the baseline's RSS (the npm start tree includes npm itself)`);
