import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { OmronMeasurementClient, SyncScheduling, SyncStatusService, UpstreamGate } from '@opendsp/sync';
import { FaultsService, type FaultDecision } from '../apps/omron-sandbox/src/faults/faults.service.js';
import { MeasurementApiService } from '../apps/omron-sandbox/src/measurements/measurement-api.service.js';
import { OmronApiError } from '../apps/omron-sandbox/src/measurements/omron-api-error.js';
import { buildForChildProcesses } from './support/child-build.js';
import { startSyncStack, type EnrolledParticipant, type SyncStack, waitFor } from './support/sync-stack.js';

const MEASUREMENT_PATH = '/stg/api/measurement';

/** Every request that reaches the sandbox's measurement API, timed, and a hook to answer one with a fault. */
function watchRequests(stack: SyncStack, fault?: (index: number) => FaultDecision | null): { times: number[]; stop(): void } {
  const faults = stack.sandbox.app.get(FaultsService);
  const original = faults.decide;
  const times: number[] = [];
  faults.decide = (path: string) => {
    if (path !== MEASUREMENT_PATH) return original.call(faults, path);
    times.push(Date.now());
    return fault?.(times.length - 1) ?? original.call(faults, path);
  };
  return { times, stop: () => void (faults.decide = original) };
}

/** The shared budget: one request slot every 100 ms. */
const REQUESTS_PER_MINUTE = 600;
/** Longer than a worker waits inline (SYNC_MAX_INLINE_WAIT_SECONDS), so pulls meeting the open circuit are deferred. */
const COOLDOWN_SECONDS = 7;
/** Longer than the Retry-After tests' blocks (4 s, and 2 to 3 s), which are waited out inline as in production. */
const MAX_INLINE_WAIT_SECONDS = 5;

describe('upstream limits: Retry-After, the shared request budget, the circuit breaker', () => {
  let stack: SyncStack;
  let build: Awaited<ReturnType<typeof buildForChildProcesses>>;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    [stack, build] = await Promise.all([
      startSyncStack(
        {},
        {
          SYNC_UPSTREAM_REQUESTS_PER_MINUTE: String(REQUESTS_PER_MINUTE),
          SYNC_PAGE_SIZE: '25',
          SYNC_CIRCUIT_COOLDOWN_SECONDS: String(COOLDOWN_SECONDS),
          SYNC_MAX_INLINE_WAIT_SECONDS: String(MAX_INLINE_WAIT_SECONDS),
        },
      ),
      buildForChildProcesses(),
    ]);
  }, 120_000);
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await stack?.close();
  });

  async function usersWithReadings(prefix: string, count: number, readings: number): Promise<EnrolledParticipant[]> {
    const users: EnrolledParticipant[] = [];
    for (let index = 0; index < count; index++) {
      const user = await stack.enroll(`${prefix}-${index}@sandbox.test`);
      await stack.generate(user.sandboxUserId, {
        from: '2026-01-01',
        to: '2026-03-01',
        seed: index,
        type: 'bloodpressure',
        count: readings,
      });
      users.push(user);
    }
    await stack.waitForIdle(120_000);
    return users;
  }

  const backfill = async (users: EnrolledParticipant[]) => {
    for (const user of users) await stack.platform.get(SyncScheduling).requestBackfill(user.participantId);
  };

  it('429 with Retry-After: 4 → no request to the endpoint for 4 seconds, from any of the running pulls', async () => {
    const users = await usersWithReadings('retry-after', 3, 100);
    const watch = watchRequests(stack, (index) =>
      index === 2 ? { delayMs: 0, action: 'rate-limit', status: 429, retryAfterSeconds: 4 } : null,
    );
    // When each request began to wait for the gate, and when the platform had recorded the 429's block. A
    // request that passed the gate before the block was recorded was already on its way and may land in the
    // 4 s; one that began to wait after it may not, however slow the machine is.
    const gate = stack.platform.get(UpstreamGate);
    const { acquire, block } = gate;
    const acquireStarts: number[] = [];
    let blockRecorded = Infinity;
    gate.acquire = (...args) => {
      acquireStarts.push(Date.now());
      return acquire.apply(gate, args);
    };
    gate.block = async (...args) => {
      await block.apply(gate, args);
      blockRecorded = Math.min(blockRecorded, Date.now());
    };
    try {
      await backfill(users);
      await stack.waitForIdle(120_000);
    } finally {
      watch.stop();
      gate.acquire = acquire;
      gate.block = block;
    }
    const limited = watch.times[2];
    expect(blockRecorded).toBeLessThan(Infinity);
    const waitedAfterBlock = acquireStarts.filter((at) => at > blockRecorded);
    expect(waitedAfterBlock.length).toBeGreaterThan(5);
    // Every request that began to wait after the block reached OMRON 4 s after the 429 or later: the first
    // of them is at least the (waitedAfterBlock.length)-th from the end of all requests.
    const after = watch.times.slice(3).sort((a, b) => a - b);
    const gated = after.slice(after.length - waitedAfterBlock.length);
    expect(gated.length).toBe(waitedAfterBlock.length);
    expect(Math.min(...gated) - limited).toBeGreaterThanOrEqual(4000);
    for (const user of users)
      expect(await stack.stored(user.participantId, 'blood_pressure')).toEqual(
        await stack.groundTruth(user.sandboxUserId, 'blood_pressure'),
      );
  }, 180_000);

  it('honours Retry-After given as an HTTP date', async () => {
    const [user] = await usersWithReadings('http-date', 1, 30);
    const service = stack.sandbox.app.get(MeasurementApiService);
    const original = service.measurements;
    const times: number[] = [];
    let until = 0;
    service.measurements = async (access, query) => {
      times.push(Date.now());
      if (times.length === 1) {
        // Whole seconds, as HTTP dates have: 2 to 3 seconds from now.
        until = Math.floor(Date.now() / 1000) * 1000 + 3000;
        throw new OmronApiError('RATE_LIMIT_EXCEEDED', undefined, { 'Retry-After': new Date(until).toUTCString() });
      }
      return original.call(service, access, query);
    };
    try {
      await stack.platform.get(SyncScheduling).syncNow(user.participantId, 'blood_pressure');
      await stack.waitForIdle();
    } finally {
      service.measurements = original;
    }
    expect(times.length).toBeGreaterThanOrEqual(2);
    expect(times[1]).toBeGreaterThanOrEqual(until);
  }, 120_000);

  it('keeps one request budget across two worker processes', async () => {
    const users = await usersWithReadings('budget', 6, 200);
    const child = spawn(process.execPath, [join(build.dir, 'test/support/sync-worker-process.js')], {
      env: { ...process.env, ...stack.platformEnv, PROCESS_ROLE: 'worker', LOG_LEVEL: 'silent' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    children.push(child);
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toBe('ready');

    const client = stack.platform.get(OmronMeasurementClient);
    const fetchPage = client.fetchPage;
    let here = 0;
    client.fetchPage = (...args) => {
      here++;
      return fetchPage.apply(client, args);
    };
    const watch = watchRequests(stack);
    const started = Date.now();
    try {
      await backfill(users);
      await stack.waitForIdle(120_000);
    } finally {
      watch.stop();
      client.fetchPage = fetchPage;
      child.stdin!.end();
    }
    const times = watch.times.sort((a, b) => a - b);
    // 6 participants × 200 readings in pages of 25: about 50 requests, both processes sending their share.
    expect(times.length).toBeGreaterThanOrEqual(48);
    expect(here).toBeGreaterThan(3);
    expect(times.length - here).toBeGreaterThan(3);
    // 600 a minute is one slot every 100 ms, reserved in the database by both processes, none before the
    // backfill started, and no request leaves before its slot. So the k-th request reaches OMRON no earlier
    // than 100·k ms after the start, however slow either process is (a slow machine only makes it later).
    const slotMs = 60_000 / REQUESTS_PER_MINUTE;
    const early = times.map((at, k) => ({ k, at: at - started })).filter(({ k, at }) => at < slotMs * k - 5);
    expect(early).toEqual([]);
    for (const user of users)
      expect(await stack.stored(user.participantId, 'blood_pressure')).toEqual(
        await stack.groundTruth(user.sandboxUserId, 'blood_pressure'),
      );
  }, 180_000);

  const bloodPressureOf = async (user: EnrolledParticipant) =>
    (await stack.platform.get(SyncStatusService).ledger(user.participantId)).find((entry) => entry.kind === 'blood_pressure')!;
  const circuitOpenUntil = async () =>
    (
      await stack.sql<{ until: Date | null }>(`select circuit_open_until as until from sync_upstream_state where endpoint = 'measurement'`)
    )[0]?.until ?? null;

  it('never opens the circuit for one participant’s 5xx: that pull fails on its own retry path, then completes', async () => {
    const [user] = await usersWithReadings('alone', 1, 40);
    await stack.failEveryMeasurementRequest();
    const watch = watchRequests(stack);
    try {
      await stack.platform.get(SyncScheduling).syncNow(user.participantId, 'blood_pressure');
      // Five attempts inline, then the job fails with the real reason and pg-boss retries it.
      const failed = await waitFor('the failed pull', async () => {
        const entry = await bloodPressureOf(user);
        return entry.lastError?.includes('HTTP 503') ? entry : null;
      });
      expect(failed.lastError).toContain('UpstreamUnavailableError: 5 attempts failed, the last: HTTP 503');
      expect(failed.deferral).toBeNull();
      expect(watch.times.length).toBeGreaterThanOrEqual(5);
      expect(await circuitOpenUntil()).toBeNull();
      expect((await stack.platform.get(SyncStatusService).overview({ groupIds: null })).upstream.circuit.state).toBe('closed');
    } finally {
      watch.stop();
      await stack.clearFaults();
    }
    await stack.waitForIdle(120_000);
    expect(await stack.stored(user.participantId, 'blood_pressure')).toEqual(await stack.groundTruth(user.sandboxUserId, 'blood_pressure'));
    expect(await bloodPressureOf(user)).toMatchObject({ lastError: null, consecutiveFailures: 0 });
  }, 180_000);

  it('opens the circuit on failures across 3 participants: no calls for the cool-down, then the pulls complete', async () => {
    const users = await usersWithReadings('breaker', 3, 40);
    await stack.failEveryMeasurementRequest();
    const watch = watchRequests(stack);
    let openUntil: number;
    let allDeferredAt: number;
    try {
      for (const user of users) await stack.platform.get(SyncScheduling).syncNow(user.participantId, 'blood_pressure');
      openUntil = new Date(await waitFor('the circuit to open', circuitOpenUntil)).getTime();
      // Every pull gives up for now and waits in the queue for the circuit to close, saying so apart from its error.
      for (const user of users) {
        const entry = await waitFor('the deferral', async () => {
          const ledger = await bloodPressureOf(user);
          return ledger.deferral ? ledger : null;
        });
        expect(entry.deferral!.reason).toContain('circuit breaker open');
        expect(entry.lastError ?? '').not.toContain('circuit breaker');
      }
      allDeferredAt = Date.now();
      await stack.clearFaults();
      await stack.waitForIdle(120_000);
    } finally {
      watch.stop();
      await stack.clearFaults();
    }
    // With every pull deferred, no request left until the cool-down was over (less a second's rounding).
    const later = watch.times.filter((at) => at >= allDeferredAt);
    expect(later.length).toBeGreaterThan(0);
    expect(Math.min(...later)).toBeGreaterThanOrEqual(openUntil - 1000);
    for (const user of users) {
      expect(await stack.stored(user.participantId, 'blood_pressure')).toEqual(
        await stack.groundTruth(user.sandboxUserId, 'blood_pressure'),
      );
      expect(await bloodPressureOf(user)).toMatchObject({ lastError: null, deferral: null, consecutiveFailures: 0 });
    }
  }, 180_000);
});
