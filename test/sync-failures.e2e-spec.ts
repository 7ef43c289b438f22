import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { SyncScheduling, SyncStatusService } from '@opendsp/sync';
import { startSyncStack, type EnrolledParticipant, type SyncStack, waitFor } from './support/sync-stack.js';

/** Longer than a worker waits inline (SYNC_MAX_INLINE_WAIT_SECONDS), so pulls meeting the open circuit are deferred. */
const COOLDOWN_SECONDS = 10;
const MAX_INLINE_WAIT_SECONDS = 3;
const BLOOD_PRESSURE_ONLY = 'bloodpressure openid offline_access';
const everyGroup = { groupIds: null };

/**
 * Failures classified (issue 18): what belongs to one participant stays on that participant's retry path and
 * never opens the circuit breaker shared by everyone; the breaker opens on failures across participants, and a
 * deferral never hides the real reason of a failure.
 */
describe('sync failures, classified', () => {
  let stack: SyncStack;
  let status: SyncStatusService;
  const warnings: string[] = [];
  let warn: ReturnType<typeof jest.spyOn>;

  beforeAll(async () => {
    stack = await startSyncStack(
      {},
      {
        SYNC_JOB_RETRY_LIMIT: '2',
        SYNC_CIRCUIT_COOLDOWN_SECONDS: String(COOLDOWN_SECONDS),
        SYNC_MAX_INLINE_WAIT_SECONDS: String(MAX_INLINE_WAIT_SECONDS),
        SYNC_CIRCUIT_FAILURES: '5',
        SYNC_CIRCUIT_PARTICIPANTS: '3',
        SYNC_CIRCUIT_WINDOW_SECONDS: '60',
      },
    );
    status = stack.platform.get(SyncStatusService);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
  }, 120_000);
  afterAll(async () => {
    warn?.mockRestore();
    await stack?.clearFaults();
    await stack?.close();
  });

  async function enrolWithReadings(email: string, seed: number): Promise<EnrolledParticipant> {
    const user = await stack.enroll(email, { scopes: BLOOD_PRESSURE_ONLY });
    await stack.generate(user.sandboxUserId, { from: '2026-01-01', to: '2026-02-01', seed, type: 'bloodpressure', count: 20 });
    return user;
  }

  const bloodPressureOf = async (user: EnrolledParticipant) =>
    (await status.ledger(user.participantId)).find((entry) => entry.kind === 'blood_pressure')!;

  const circuit = async () =>
    (
      await stack.sql<{ open_until: Date | null; failures: number; subjects: number }>(
        `select s.circuit_open_until as open_until,
         (select count(*)::int from sync_upstream_failure f where f.endpoint = s.endpoint) as failures,
         (select count(distinct f.subject)::int from sync_upstream_failure f where f.endpoint = s.endpoint) as subjects
       from sync_upstream_state s where s.endpoint = 'measurement'`,
      )
    )[0];

  let broken: EnrolledParticipant;
  let healthy: EnrolledParticipant[];

  it('keeps a 404 with a non-JSON body to its participant: the breaker stays closed, the others complete, it ends as a dead letter with the real reason', async () => {
    broken = await enrolWithReadings('failing-404@sandbox.test', 1);
    healthy = [await enrolWithReadings('healthy-1@sandbox.test', 2), await enrolWithReadings('healthy-2@sandbox.test', 3)];
    await stack.waitForIdle(120_000);
    const notFound = stack.answerMeasurementsOf(broken.omronUserId, {
      status: 404,
      contentType: 'text/html',
      body: '<html><body>Not Found</body></html>',
    });
    try {
      const scheduling = stack.platform.get(SyncScheduling);
      for (const user of [broken, ...healthy]) await scheduling.requestBackfill(user.participantId);
      await stack.waitForIdle(120_000);
      // The first attempt and SYNC_JOB_RETRY_LIMIT (2) retries, one request each: nothing retried inline.
      expect(notFound.answered()).toBe(3);
    } finally {
      notFound.stop();
    }

    for (const user of healthy)
      expect(await stack.stored(user.participantId, 'blood_pressure')).toEqual(
        await stack.groundTruth(user.sandboxUserId, 'blood_pressure'),
      );
    // Never counted toward the breaker, let alone opening it.
    expect(await circuit()).toMatchObject({ open_until: null, failures: 0 });
    expect((await status.overview(everyGroup)).upstream.circuit.state).toBe('closed');

    const [dead] = await status.deadLetters(everyGroup, 10);
    expect(dead).toMatchObject({ kind: 'blood_pressure', attempts: 3 });
    expect(dead.reason).toContain('UpstreamRejectedError');
    expect(dead.reason).toContain('HTTP 404 with a body that is not JSON (text/html');
    const entry = await bloodPressureOf(broken);
    expect(entry.lastError).toContain('HTTP 404 with a body that is not JSON');
    expect(entry.deferral).toBeNull();
    // The real reason reached the log at warn level.
    expect(warnings.some((line) => line.includes(broken.participantId) && line.includes('HTTP 404 with a body that is not JSON'))).toBe(
      true,
    );
    expect(warnings.some((line) => /bearer/i.test(line))).toBe(false);
  }, 240_000);

  it('opens the breaker on 5xx across several participants, and a deferred pull keeps its real last error', async () => {
    const third = await enrolWithReadings('healthy-3@sandbox.test', 4);
    await stack.waitForIdle(120_000);
    const before = (await bloodPressureOf(broken)).lastError;
    expect(before).toContain('HTTP 404 with a body that is not JSON');

    await stack.failEveryMeasurementRequest();
    const scheduling = stack.platform.get(SyncScheduling);
    const others = [...healthy, third];
    try {
      for (const user of others) await scheduling.syncNow(user.participantId, 'blood_pressure');
      const opened = await waitFor('the circuit to open', async () => {
        const state = await circuit();
        return state?.open_until && new Date(state.open_until).getTime() > Date.now() ? state : null;
      });
      expect(opened.failures).toBeGreaterThanOrEqual(5);
      expect(opened.subjects).toBeGreaterThanOrEqual(3);
      const overview = await status.overview(everyGroup);
      expect(overview.upstream.circuit.state).toBe('open');
      expect(overview.upstream.circuit.reason).toMatch(/failures of [3-9] participants/);

      // The participant whose pull gave up asks again while the circuit is open: it waits, and says so apart.
      await scheduling.syncNow(broken.participantId, 'blood_pressure');
      const deferred = await waitFor('the deferral', async () => {
        const entry = await bloodPressureOf(broken);
        return entry.deferral ? entry : null;
      });
      expect(deferred.deferral!.reason).toContain('circuit breaker open');
      expect(deferred.deferral!.until.getTime()).toBeGreaterThan(Date.now());
      expect(deferred.lastError).toBe(before);
      const failure = (await status.recentFailures(everyGroup, 100)).find((row) => row.reason === before);
      expect(failure?.deferral?.reason).toContain('circuit breaker open');
      for (const user of others) expect((await bloodPressureOf(user)).lastError ?? '').not.toContain('circuit breaker');
    } finally {
      await stack.clearFaults();
    }

    // After the cool-down every pull completes, and the ledger is clean again.
    await stack.waitForIdle(180_000);
    for (const user of [broken, ...others]) {
      expect(await stack.stored(user.participantId, 'blood_pressure')).toEqual(
        await stack.groundTruth(user.sandboxUserId, 'blood_pressure'),
      );
      expect(await bloodPressureOf(user)).toMatchObject({ lastError: null, deferral: null, consecutiveFailures: 0 });
    }
    expect(await circuit()).toMatchObject({ open_until: null, failures: 0 });
  }, 300_000);

  it('keeps a second 401, a 403, a malformed body and invalid_grant to their participants, each with its real reason', async () => {
    const [unauthorised, forbidden, malformed, revoked] = [
      await enrolWithReadings('failing-401@sandbox.test', 11),
      await enrolWithReadings('failing-403@sandbox.test', 12),
      await enrolWithReadings('failing-body@sandbox.test', 13),
      await enrolWithReadings('failing-grant@sandbox.test', 14),
    ];
    await stack.waitForIdle(120_000);
    // The person revoked the platform at OMRON: the grant ends, so the refresh after the 401 gets invalid_grant.
    await stack.revokeAtOmron(revoked.connection.id);

    const answers = [
      stack.answerMeasurementsOf(unauthorised.omronUserId, {
        status: 401,
        contentType: 'application/json',
        body: '{"message":"Unauthorized"}',
      }),
      stack.answerMeasurementsOf(forbidden.omronUserId, { status: 403, contentType: 'text/plain', body: 'Forbidden' }),
      stack.answerMeasurementsOf(malformed.omronUserId, {
        status: 200,
        contentType: 'application/json',
        body: '{"status":0,"result":{"bloodPre',
      }),
    ];
    try {
      const scheduling = stack.platform.get(SyncScheduling);
      for (const user of [unauthorised, forbidden, malformed, revoked]) await scheduling.syncNow(user.participantId, 'blood_pressure');
      await stack.waitForIdle(180_000);
      // 401: once, and once more after the refresh, per attempt; 403: once, never retried; a malformed body:
      // 5 times inline per attempt. Each attempt is the first and SYNC_JOB_RETRY_LIMIT (2) retries.
      expect(answers.map((answer) => answer.answered())).toEqual([6, 1, 15]);
    } finally {
      for (const answer of answers.reverse()) answer.stop();
    }

    expect(await circuit()).toMatchObject({ open_until: null, failures: 0 });
    const deadLetters = await status.deadLetters(everyGroup, 100);
    const ledger = await Promise.all([unauthorised, forbidden, malformed, revoked].map(bloodPressureOf));
    expect(ledger[0].lastError).toBe(
      'gave up: UpstreamRejectedError: OMRON refused the access token for bloodpressure again after a refresh',
    );
    expect(ledger[1].lastError).toBe(
      'ScopeNotGrantedError: OMRON refused bloodpressure: HTTP 403 with a body that is not JSON (text/plain; charset=utf-8, 9 bytes)',
    );
    expect(ledger[2].lastError).toContain(
      'gave up: UpstreamUnavailableError: 5 attempts failed, the last: HTTP 200 with a body that is not JSON',
    );
    expect(ledger[3].lastError).toContain('reconnect_needed');
    expect(
      deadLetters.filter((row) => row.reason.includes('refused the access token') || row.reason.includes('HTTP 200 with a body')),
    ).toHaveLength(2);
    // Each real reason reached the log at warn level.
    for (const user of [unauthorised, forbidden, malformed, revoked])
      expect(warnings.some((line) => line.includes(user.participantId) && line.includes('blood_pressure pull'))).toBe(true);
  }, 300_000);
});
