import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { MEASUREMENT_KINDS, type MeasurementKind } from '@opendsp/measurements';
import { SyncScheduling } from '@opendsp/sync';
import { buildForChildProcesses } from './support/child-build.js';
import { startSyncStack, type EnrolledParticipant, type SyncStack } from './support/sync-stack.js';

const KINDS: MeasurementKind[] = ['blood_pressure', 'weight', 'oxygen', 'activity'];
/**
 * Each kill costs a heartbeat expiry (pg-boss's minimum, 10 s) before the killed pulls are handed on, so the test
 * kills a few times, soon after the work resumes, which lands each kill mid-sync.
 */
const KILLS = 4;

describe('a worker killed with SIGKILL at random points during a large sync', () => {
  let stack: SyncStack;
  let build: Awaited<ReturnType<typeof buildForChildProcesses>>;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    // This process only serves web requests and enqueues; the pulls run in child worker processes.
    [stack, build] = await Promise.all([startSyncStack({}, { PROCESS_ROLE: 'web', SYNC_PAGE_SIZE: '1000' }), buildForChildProcesses()]);
  }, 120_000);
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await stack?.close();
  });

  async function startWorker(): Promise<ChildProcess> {
    const child = spawn(process.execPath, [join(build.dir, 'test/support/sync-worker-process.js')], {
      env: { ...process.env, ...stack.platformEnv, PROCESS_ROLE: 'worker', LOG_LEVEL: 'silent' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.value !== 'ready') throw new Error(`worker did not start: ${String(first.value)}`);
    return child;
  }

  const storedCount = async (participantId: string): Promise<number> => {
    const [row] = await stack.sql<{ count: string }>(
      `select (${KINDS.map((kind) => `(select count(*) from ${MEASUREMENT_KINDS[kind].table} where participant_id = $1)`).join(' + ')}) as count`,
      [participantId],
    );
    return Number(row.count);
  };

  it('loses nothing and duplicates nothing over tens of thousands of readings', async () => {
    const user: EnrolledParticipant = await stack.enroll('crash@sandbox.test');
    const range = { from: '2024-01-01', to: '2026-06-30', seed: 5 };
    await stack.generate(user.sandboxUserId, { ...range, type: 'bloodpressure', count: 24_000, afibRate: 0.05 });
    await stack.generate(user.sandboxUserId, { ...range, type: 'weight', count: 8000 });
    await stack.generate(user.sandboxUserId, { ...range, type: 'oxygen', count: 6000 });
    await stack.generate(user.sandboxUserId, { ...range, type: 'activity', count: 900 });
    await stack.sql(`delete from sync_notification`);
    let total = 0;
    for (const kind of KINDS) total += (await stack.groundTruth(user.sandboxUserId, kind)).length;
    expect(total).toBeGreaterThan(35_000);

    await stack.platform.get(SyncScheduling).requestBackfill(user.participantId);
    const kills: { afterMs: number; stored: number; pullsInProgress: number }[] = [];
    let stored = 0;
    for (let round = 0; round < KILLS; round++) {
      worker = await startWorker();
      // Wait for this worker to make progress, then kill it at a random moment: mid-request, mid-transaction, anywhere.
      const deadline = Date.now() + 60_000;
      while ((await storedCount(user.participantId)) <= stored) {
        if (Date.now() > deadline) throw new Error(`no progress in round ${round}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // Within 300 ms: the writer stores a 1,000-reading page in well under that, so a later kill could find the
      // whole backfill done and leave no work for the next rounds.
      const afterMs = Math.floor(Math.random() * 300);
      await new Promise((resolve) => setTimeout(resolve, afterMs));
      worker.kill('SIGKILL');
      await new Promise((resolve) => worker!.once('exit', resolve));
      stored = await storedCount(user.participantId);
      const [inProgress] = await stack.sql<{ count: string }>(
        `select count(*) from sync_ledger where participant_id = $1 and pull_started_at is not null`,
        [user.participantId],
      );
      kills.push({ afterMs, stored, pullsInProgress: Number(inProgress.count) });
      if (stored >= total) break;
    }
    // The kills landed in the middle of the work, not after it.
    expect(kills.filter((kill) => kill.pullsInProgress > 0 && kill.stored < total).length).toBeGreaterThanOrEqual(3);

    worker = await startWorker();
    await stack.waitForIdle(240_000);
    worker.stdin!.end();
    await new Promise((resolve) => worker!.once('exit', resolve));

    for (const kind of KINDS) {
      const [truth, rows] = await Promise.all([stack.groundTruth(user.sandboxUserId, kind), stack.stored(user.participantId, kind)]);
      const storedIds = new Set(rows.map((row) => row.upstream_id));
      const lost = truth.filter((row) => !storedIds.has(row.upstream_id));
      expect({ kind, lost: lost.length, duplicated: rows.length - storedIds.size }).toEqual({ kind, lost: 0, duplicated: 0 });
      expect(rows).toEqual(truth);
    }
    const [sequences] = await stack.sql<{ rows: string; distinct: string }>(
      `select count(*) as rows, count(distinct change_seq) as distinct from (
         select change_seq from blood_pressure_reading union all select change_seq from weight_reading
         union all select change_seq from oxygen_reading union all select change_seq from activity_reading) s`,
    );
    expect(sequences.distinct).toBe(sequences.rows);
  }, 600_000);
});
