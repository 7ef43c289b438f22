import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildForChildProcesses } from './support/child-build.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { testDspEnv } from './support/test-environment.js';

/** Every thread's niceness in a running process (Linux keeps one per thread): field 19 of /proc/<pid>/task/<tid>/stat. */
function threadNiceness(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis start at field 3.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19 - 3]);
  });
}

describe('WORKER_NICE: a worker process runs at a lower CPU priority than the web role', () => {
  let database: TestDatabase;
  let build: Awaited<ReturnType<typeof buildForChildProcesses>>;
  const children: ChildProcess[] = [];
  // The runner may itself run under `nice`; the setting adds to the niceness a process starts with.
  const started = getPriority();

  beforeAll(async () => {
    [database, build] = await Promise.all([createTestDatabase(), buildForChildProcesses()]);
  }, 120_000);
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await database?.drop();
  });

  /** Every thread's niceness in a platform process started with `env`, read once it is ready; then it is killed. */
  async function nicenessOfPlatformProcess(env: Record<string, string>): Promise<number[]> {
    const child = spawn(process.execPath, [join(build.dir, 'test/support/sync-worker-process.js')], {
      // A small pool: the server's connections are shared with other test runs.
      env: { ...process.env, ...testDspEnv({ DATABASE_URL: database.settings.url, DATABASE_POOL_MAX: '2', ...env }) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    children.push(child);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const ready = new Promise<void>((resolve) =>
      createInterface({ input: child.stdout! }).on('line', (line) => line === 'ready' && resolve()),
    );
    await Promise.race([ready, exited.then(() => Promise.reject(new Error('the process exited before it was ready')))]);
    const niceness = threadNiceness(child.pid!);
    child.kill('SIGKILL'); // only its priority was wanted; a graceful stop waits for the queue's shutdown
    await exited;
    return niceness;
  }

  // Each start takes up to a minute on a loaded machine.
  it('lowers every thread of a worker process by WORKER_NICE', async () => {
    const threads = await nicenessOfPlatformProcess({ PROCESS_ROLE: 'worker', WORKER_NICE: '5' });
    // V8's and libuv's threads as well as the main one: a process has several.
    expect(threads.length).toBeGreaterThan(1);
    expect(new Set(threads)).toEqual(new Set([Math.min(19, started + 5)]));
  }, 180_000);

  it.each([
    ['web', '5'],
    ['all', '5'],
    ['worker', '0'],
  ])(
    'leaves PROCESS_ROLE=%s with WORKER_NICE=%s at the priority it started with',
    async (role, nice) => {
      expect(new Set(await nicenessOfPlatformProcess({ PROCESS_ROLE: role, WORKER_NICE: nice }))).toEqual(new Set([started]));
    },
    180_000,
  );
});
