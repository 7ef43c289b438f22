import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/test-database.js';

/** Runs the README's start command as a user would, in its own process group. */
function npmStart(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  // As on a fresh machine: no DATABASE_URL (so the embedded database is used) and no NODE_ENV from jest.
  const { DATABASE_URL: _database, NODE_ENV: _nodeEnv, ...inherited } = process.env;
  let output = '';
  const child = spawn('npm', ['start'], {
    cwd: join(import.meta.dirname, '..'),
    env: { ...inherited, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

async function waitUntilReady(urls: string[], output: () => string, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const url of urls) {
    for (;;) {
      const ok = await fetch(url).then(
        (response) => response.status === 200,
        () => false,
      );
      if (ok) break;
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode} before ${url} was ready. Output:\n${output()}`);
      if (Date.now() > deadline) throw new Error(`${url} not ready in time. Output:\n${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** True when nothing listens on `port` of 127.0.0.1 right now. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port whose neighbour is free too: the launcher puts the sandbox's embedded database on port + 1. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 65_535 && (await portIsFree(port + 1))) return port;
  }
}

/** Kills the launcher's whole process group; it may have exited already, and then its output says why. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Resolves once every process of the group has closed its output, i.e. the launcher itself has exited too. */
function exited(child: ChildProcess): Promise<void> {
  return child.stdout!.closed ? Promise.resolve() : new Promise((resolve) => child.stdout!.once('close', () => resolve()));
}

describe('npm start (the README start command)', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let urls: string[];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'opendsp-start-'));
    const [port, sandboxPort] = [await freePort(), await freePort()];
    let databasePort = await freePortPair();
    while ([port, sandboxPort].includes(databasePort) || [port, sandboxPort].includes(databasePort + 1))
      databasePort = await freePortPair();
    env = { DATA_DIR: dataDir, PORT: String(port), SANDBOX_PORT: String(sandboxPort), EMBEDDED_DB_PORT: String(databasePort) };
    urls = [`http://127.0.0.1:${port}/health/ready`, `http://127.0.0.1:${sandboxPort}/health/ready`];
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('starts platform and sandbox on the embedded database, survives kill -9, and stops cleanly', async () => {
    const first = npmStart(env);
    try {
      await waitUntilReady(urls, first.output, first.child);
    } finally {
      killGroup(first.child, 'SIGKILL');
      await exited(first.child);
    }
    const groupId = /demo group ID\s+(\S+)/.exec(first.output())?.[1];
    expect(groupId).toMatch(/^[0-9A-Z]{12}$/);
    expect(first.output()).toContain(`http://127.0.0.1:${env.PORT}/`);
    expect(first.output()).toMatch(/partner admin\s+partner-admin \/ \S{12,}/);
    expect(first.output()).toMatch(/test user\s+demo\.user@sandbox\.test \/ \S{12,}/);
    // Quiet by default: the banner comes first (npm's own header before it), with the time to ready, and
    // neither Nest's route mapping nor request headers are logged.
    const lines = first.output().split('\n');
    expect(lines.findIndex((line) => line.includes('OpenDSP is running'))).toBeLessThan(25);
    expect(first.output()).toMatch(/ready in \d+\.\d s/);
    expect(first.output()).not.toMatch(/Mapped \{|RoutesResolver|"headers"/);

    // The embedded database recovers from the kill and keeps the demo data: the same group, not a new one.
    const second = npmStart(env);
    await waitUntilReady(urls, second.output, second.child);
    expect(/demo group ID\s+(\S+)/.exec(second.output())?.[1]).toBe(groupId);
    process.kill(-second.child.pid!, 'SIGTERM');
    await exited(second.child);
    expect(second.output()).toContain('OpenDSP stopped.');
    await expect(fetch(urls[0])).rejects.toThrow();
  }, 300_000);
});
