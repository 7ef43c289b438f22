import { SyncScheduling } from '@opendsp/sync';
import { startSyncStack, type EnrolledParticipant, type SyncStack, waitFor } from './support/sync-stack.js';

/** An idle slot's polling interval, far longer than the pulls below take together. */
const POLL_SECONDS = 30;
const PARTICIPANTS = 6;

/**
 * A worker slot that ends a pull takes the next waiting one at once (issue 18, item 4). pg-boss waits out the rest
 * of its polling interval after a job shorter than it, so one worker process used to run about one short pull per
 * slot and second while hundreds waited. Here the interval is 30 s and one slot takes background pulls: six one-page
 * pulls queued at once finish well within one interval only if the slot never waits for it between them.
 */
describe('sync worker slots: the next pull at once', () => {
  let stack: SyncStack;
  const participants: EnrolledParticipant[] = [];

  beforeAll(async () => {
    stack = await startSyncStack({}, { SYNC_WORKER_CONCURRENCY: '1', SYNC_JOB_POLL_SECONDS: String(POLL_SECONDS) });
    for (let index = 0; index < PARTICIPANTS; index++) {
      const user = await stack.enroll(`slot-${index}@sandbox.test`, { scopes: 'weight openid offline_access' });
      await stack.generate(user.sandboxUserId, { from: '2025-01-01', to: '2025-03-31', seed: index, type: 'weight', count: 5 });
      participants.push(user);
    }
    // The generated readings' notifications each queue a pull (and wake the slots); all of them done first.
    await stack.waitForIdle(120_000);
  }, 180_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('runs pulls queued together one after another without waiting for the polling interval between them', async () => {
    const ids = participants.map((user) => user.participantId);
    const [{ now: queuedAt }] = await stack.sql<{ now: Date }>(`select now()`);
    // One insert, one wake-up: from here on only the slot itself can ask for the next pull.
    await stack.platform
      .get(SyncScheduling)
      .requestPulls(ids.map((participantId) => ({ participantId, kind: 'weight' as const, full: true })));
    await waitFor(
      `${PARTICIPANTS} backfills done within one polling interval`,
      async () => {
        const [row] = await stack.sql<{ done: number }>(
          `select count(*)::int as done from sync_ledger where participant_id = any($1::uuid[]) and kind = 'weight'
             and last_pull_succeeded_at >= $2 and pull_started_at is null`,
          [ids, queuedAt],
        );
        return row.done === PARTICIPANTS;
      },
      (POLL_SECONDS - 5) * 1000,
    );
    // Each ran as its own pull, in the one slot that takes background pulls.
    const [jobs] = await stack.sql<{ ran: number }>(
      `select count(*)::int as ran from pgboss.job where name = 'sync-pull' and state = 'completed' and priority = 0 and created_on >= $1`,
      [queuedAt],
    );
    expect(jobs.ran).toBe(PARTICIPANTS);
  }, 60_000);
});
