import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** What a deployment checks out: the sources, the build script and the package files (node_modules linked). */
const INSTALLED = ['apps', 'libs', 'scripts', 'package.json', 'package-lock.json', '.swcrc', '.env.example'];

export interface InstallCopy {
  /** The copy's folder: run npm scripts here as an operator would in their checkout. */
  readonly dir: string;
  remove(): Promise<void>;
}

/**
 * A private checkout of this repository in a temporary folder, sharing node_modules through a link, so a test
 * can build, write `.env` and run `npm run …` commands without touching the repository's own `dist` or `.env`.
 */
export async function installCopy(): Promise<InstallCopy> {
  const dir = await mkdtemp(join(tmpdir(), 'opendsp-install-'));
  for (const entry of INSTALLED) await cp(join(root, entry), join(dir, entry), { recursive: true });
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface Command {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the command and its output have ended. */
  readonly exit: Promise<number | null>;
  /** Signals the command's whole process group (npm and the node process it started). */
  kill(signal?: NodeJS.Signals): void;
}

/** Runs a shell command line in `cwd`, in its own process group, collecting its output. */
export function run(commandLine: string, cwd: string, env: Record<string, string | undefined>): Command {
  let output = '';
  const child = spawn('bash', ['-c', commandLine], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exit,
    kill(signal = 'SIGTERM') {
      try {
        process.kill(-child.pid!, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    },
  };
}

/** The environment of a fresh shell: this one's, without what jest sets and without DATABASE_URL. */
export function shellEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const { DATABASE_URL: _database, NODE_ENV: _nodeEnv, JEST_WORKER_ID: _worker, ...inherited } = process.env;
  return { ...inherited, ...overrides };
}

/** Polls `url` until it answers 200; fails with the process's output if `command` exits first. */
export async function waitForOk(url: string, command: Command): Promise<void> {
  for (;;) {
    const ok = await fetch(url).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ok) return;
    if (command.child.exitCode !== null)
      throw new Error(`exited with ${command.child.exitCode} before ${url} answered. Output:\n${command.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
