import { DspConfig } from '@opendsp/config';
import { SyncJobs, SyncScheduling } from '@opendsp/sync';
import { startSyncStack, type EnrolledParticipant, type ObservedRequest, type SyncStack, waitFor } from './support/sync-stack.js';

/** The shared budget: 20 requests a second, half of it kept for fresh pulls (so backfills get 10 a second). */
const REQUESTS_PER_MINUTE = 1200;
const SHARE = 0.5;
/** The reserved-share test's budget: a request every 300 ms. */
const SMALL_BUDGET = 200;
/** Pulls per worker process beside the fresh-only slot: enough backfills at once to saturate their lane. */
const CONCURRENCY = 4;
/** Small pages, so a short history is several pages and a backfill's turns (5 pages) show. */
const PAGE_SIZE = 10;
const KINDS = ['bloodpressure', 'weight', 'temperature'] as const;
const SCOPES = `${KINDS.join(' ')} openid offline_access`;

/**
 * Priority lanes (issue 18, item 1): pulls a notification asked for run ahead of backfills, backfills take turns
 * across participants a few pages at a time, and a share of the upstream budget stays for fresh pulls however
 * many backfills wait. Everything is read from the order of the requests the sandbox answered, never from timings.
 */
describe('sync lanes: fresh pulls first, fair backfills, a budget share kept for notifications', () => {
  let stack: SyncStack;
  let backfilled: EnrolledParticipant[];
  let notifying: EnrolledParticipant;
  /** Whose request it was: the OMRON user (`sub`) → the participant. */
  const bySub = new Map<string, EnrolledParticipant>();

  beforeAll(async () => {
    stack = await startSyncStack(
      {},
      {
        SYNC_UPSTREAM_REQUESTS_PER_MINUTE: String(REQUESTS_PER_MINUTE),
        SYNC_NOTIFICATION_BUDGET_SHARE: String(SHARE),
        SYNC_WORKER_CONCURRENCY: String(CONCURRENCY),
        SYNC_PAGE_SIZE: String(PAGE_SIZE),
      },
    );
    backfilled = [];
    for (let index = 0; index < 4; index++) {
      const user = await stack.enroll(`backfill-${index}@sandbox.test`, { scopes: SCOPES });
      // 60 readings of each kind: 6 pages, two turns.
      for (const type of KINDS)
        await stack.generate(user.sandboxUserId, { from: '2025-01-01', to: '2025-12-31', seed: index, type, count: 60 });
      backfilled.push(user);
    }
    notifying = await stack.enroll('notifying@sandbox.test', { scopes: SCOPES });
    await stack.generate(notifying.sandboxUserId, { from: '2026-01-01', to: '2026-01-20', seed: 9, type: 'bloodpressure', count: 10 });
    for (const user of [...backfilled, notifying]) bySub.set(user.omronUserId, user);
    // Everything the generated readings' notifications asked for is stored before the tests start.
    await stack.waitForIdle(120_000);
  }, 180_000);
  afterAll(async () => {
    await stack?.close();
  });

  const isBackfill = (request: ObservedRequest) => backfilled.includes(bySub.get(request.sub)!);
  const isNotifying = (request: ObservedRequest) => request.sub === notifying.omronUserId;
  /** A backfill's pull of one kind: the participant and the type asked for. */
  const pullOf = (request: ObservedRequest) => `${request.sub}:${request.query.type}`;

  async function backfillAll(): Promise<void> {
    for (const user of backfilled) await stack.platform.get(SyncScheduling).requestBackfill(user.participantId);
  }

  it('runs a notification’s pull ahead of the backfills queued before it, and interleaves the backfills turn by turn', async () => {
    const watch = stack.observeMeasurements();
    // How many requests OMRON had answered when the notification's pull was queued (however long the notification
    // took to arrive and be dispatched on a loaded machine).
    const jobs = stack.platform.get(SyncJobs);
    const enqueuePulls = jobs.enqueuePulls;
    let notifiedAt = -1;
    jobs.enqueuePulls = async (pulls, options) => {
      const mine = pulls.some((pull) => pull.participantId === notifying.participantId);
      await enqueuePulls.call(jobs, pulls, options);
      if (mine && notifiedAt < 0) notifiedAt = watch.requests.length;
    };
    try {
      await backfillAll();
      // The backfills are under way; then a reading is taken and OMRON notifies.
      await waitFor('the backfills to start', async () => watch.requests.filter(isBackfill).length >= 3);
      await stack.generate(notifying.sandboxUserId, { from: '2026-02-01', to: '2026-02-10', seed: 10, type: 'bloodpressure', count: 25 });
      await waitFor('the notification’s readings to be stored', async () => {
        const [stored, truth] = await Promise.all([
          stack.stored(notifying.participantId, 'blood_pressure'),
          stack.groundTruth(notifying.sandboxUserId, 'blood_pressure'),
        ]);
        return stored.length === truth.length;
      });
      await stack.waitForIdle(120_000);
    } finally {
      jobs.enqueuePulls = enqueuePulls;
      watch.stop();
    }
    const requests = watch.requests;
    const backfillRequests = requests.filter(isBackfill);
    // 12 pulls (4 participants × 3 kinds) of 6 pages each, and none fetched for nobody.
    expect(backfillRequests.length).toBe(4 * KINDS.length * 6);

    // Fresh first: of the backfill pages still waiting when the notification's pull was queued, at most the ones
    // already reserved (CONCURRENCY pulls, one page ahead each) and a few more reach OMRON before it does.
    const firstFresh = requests.findIndex(isNotifying);
    expect(notifiedAt).toBeGreaterThanOrEqual(3);
    expect(firstFresh).toBeGreaterThanOrEqual(notifiedAt);
    const backfillBefore = requests.slice(notifiedAt, firstFresh).filter(isBackfill).length;
    expect(backfillBefore).toBeLessThanOrEqual(2 * CONCURRENCY + 6);
    const lastFresh = requests.findLastIndex(isNotifying);
    expect(requests.slice(lastFresh).filter(isBackfill).length).toBeGreaterThan(20);

    // Fair: every pull had its first page before any pull had its last (6th) page. Run to the end one after
    // the other, the first CONCURRENCY pulls would finish before the others started.
    const seen = new Map<string, number>();
    const firsts: number[] = [];
    const lasts: number[] = [];
    backfillRequests.forEach((request, index) => {
      const count = (seen.get(pullOf(request)) ?? 0) + 1;
      seen.set(pullOf(request), count);
      if (count === 1) firsts.push(index);
      if (count === 6) lasts.push(index);
    });
    expect(firsts).toHaveLength(4 * KINDS.length);
    expect(Math.max(...firsts)).toBeLessThan(Math.min(...lasts));

    for (const user of [...backfilled, notifying])
      for (const kind of ['blood_pressure', 'weight', 'temperature'] as const)
        expect(await stack.stored(user.participantId, kind)).toEqual(await stack.groundTruth(user.sandboxUserId, kind));
  }, 120_000);

  it('lets a backfill go on past its turn when no other pull waits for a worker, and none is fetched for nobody', async () => {
    const [user] = backfilled;
    const [{ started }] = await stack.sql<{ started: string }>(`select now()::text as started`);
    const watch = stack.observeMeasurements();
    try {
      // One pull (6 pages, two turns' worth) and nothing else queued: at the end of its first turn nobody waits.
      await stack.platform.get(SyncScheduling).requestPulls([{ participantId: user.participantId, kind: 'weight', full: true }]);
      await stack.waitForIdle(120_000);
    } finally {
      watch.stop();
    }
    expect(watch.requests.filter((request) => request.sub === user.omronUserId).map((request) => request.query.type)).toEqual(
      Array.from({ length: 6 }, () => 'weight'),
    );
    // One job ran it: the turn did not go back to the queue (and then to the same pull).
    const jobs = await stack.sql<{ state: string }>(
      `select state from pgboss.job where name = 'sync-pull' and data->>'participantId' = $1 and created_on >= $2::timestamptz`,
      [user.participantId, started],
    );
    expect(jobs).toEqual([{ state: 'completed' }]);
    expect(await stack.stored(user.participantId, 'weight')).toEqual(await stack.groundTruth(user.sandboxUserId, 'weight'));
  }, 120_000);

  it('keeps the reserved share for notifications while backfills saturate theirs', async () => {
    // A budget small beside what the platform can do (one request every 300 ms, backfills one every 600 ms), so
    // who gets the slots is the gate's doing, not the machine's speed; put back once the notification's pull is done.
    const sync = stack.platform.get(DspConfig).sync;
    const watch = stack.observeMeasurements();
    try {
      await backfillAll();
      await waitFor('the backfills to start', async () => watch.requests.filter(isBackfill).length >= 2 * CONCURRENCY);
      sync.upstreamRequestsPerMinute = SMALL_BUDGET;
      // A long incremental pull for the notifying participant: 100 new readings, 10 pages.
      await stack.generate(notifying.sandboxUserId, { from: '2026-03-01', to: '2026-03-20', seed: 11, type: 'bloodpressure', count: 100 });
      await waitFor('the notification’s readings to be stored', async () => {
        const [stored, truth] = await Promise.all([
          stack.stored(notifying.participantId, 'blood_pressure'),
          stack.groundTruth(notifying.sandboxUserId, 'blood_pressure'),
        ]);
        return stored.length === truth.length;
      });
      sync.upstreamRequestsPerMinute = REQUESTS_PER_MINUTE;
      await stack.waitForIdle(120_000);
    } finally {
      sync.upstreamRequestsPerMinute = REQUESTS_PER_MINUTE;
      watch.stop();
    }
    const requests = watch.requests;
    const first = requests.findIndex(isNotifying);
    const last = requests.findLastIndex(isNotifying);
    const during = requests.slice(first, last + 1);
    const fresh = during.filter(isNotifying).length;
    const background = during.filter(isBackfill).length;
    expect(fresh).toBeGreaterThanOrEqual(10);
    // The backfills were saturating their lane all along (pages of theirs were still left after it)…
    expect(requests.slice(last).filter(isBackfill).length).toBeGreaterThan(10);
    // …yet they took about their half of the requests while the notification's pull ran. Sharing one
    // first-come budget, the 4 backfill pulls (2 requests reserved each) would take about 4 of every 5.
    expect(background).toBeLessThanOrEqual(fresh + 4);
    expect(await stack.stored(notifying.participantId, 'blood_pressure')).toEqual(
      await stack.groundTruth(notifying.sandboxUserId, 'blood_pressure'),
    );
  }, 120_000);
});
