import { MEASUREMENT_KIND_NAMES, type MeasurementKind } from '@opendsp/measurements';
import { SyncLedger, SyncScheduling } from '@opendsp/sync';
import { startSyncStack, type EnrolledParticipant, type SyncStack } from './support/sync-stack.js';

/** Readings of every kind for one sandbox user: a few hundred to a few thousand each, so pulls take several pages. */
async function loadEveryKind(stack: SyncStack, user: EnrolledParticipant, seed: number): Promise<void> {
  const range = { from: '2025-01-01', to: '2026-06-30', seed };
  await stack.generate(user.sandboxUserId, { ...range, type: 'bloodpressure', count: 2500, afibRate: 0.1 });
  await stack.generate(user.sandboxUserId, { ...range, type: 'activity', count: 400 });
  await stack.generate(user.sandboxUserId, { ...range, type: 'weight', count: 1200 });
  await stack.generate(user.sandboxUserId, { ...range, type: 'temperature', count: 600 });
  await stack.generate(user.sandboxUserId, { ...range, type: 'oxygen', count: 900 });
  await stack.generate(user.sandboxUserId, { ...range, type: 'ecg', count: 30 });
}

async function expectEqualToGroundTruth(stack: SyncStack, user: EnrolledParticipant, kinds: readonly MeasurementKind[] = MEASUREMENT_KIND_NAMES) {
  for (const kind of kinds) {
    const [truth, stored] = await Promise.all([stack.groundTruth(user.sandboxUserId, kind), stack.stored(user.participantId, kind)]);
    expect(truth.length).toBeGreaterThan(0);
    expect({ kind, count: stored.length }).toEqual({ kind, count: truth.length });
    expect(stored).toEqual(truth);
  }
}

describe('measurement sync against the sandbox (real PostgreSQL on both sides)', () => {
  let stack: SyncStack;

  beforeAll(async () => {
    stack = await startSyncStack({}, { SYNC_PAGE_SIZE: '500', LOG_LEVEL: process.env.SYNC_LOG ?? 'silent' });
  }, 120_000);
  afterAll(() => stack?.close());

  it('backfills the whole history of every kind, equal to the sandbox ground truth field for field', async () => {
    const user = await stack.enroll('backfill@sandbox.test');
    await loadEveryKind(stack, user, 11);
    expect(await stack.platform.get(SyncScheduling).requestBackfill(user.participantId)).toEqual([...MEASUREMENT_KIND_NAMES]);
    await stack.waitForIdle(40_000);
    await expectEqualToGroundTruth(stack, user);

    // AFib readings really are among them, stored as flag + nulls.
    const [afib] = await stack.sql<{ count: string; zero: string }>(
      `select count(*) filter (where possible_afib) as count, count(*) filter (where systolic_mmhg = 0 or pulse_bpm = 0) as zero
       from blood_pressure_reading where participant_id = $1`,
      [user.participantId],
    );
    expect(Number(afib.count)).toBeGreaterThan(100);
    expect(Number(afib.zero)).toBe(0);

    // Devices seen, and the enrollment's first and last reading.
    const devices = await stack.sql<{ device_type: string }>(`select device_type from participant_device where participant_id = $1`, [
      user.participantId,
    ]);
    expect(devices.length).toBeGreaterThanOrEqual(6);
    const [times] = await stack.sql<{ first: Date; last: Date; min: Date; max: Date }>(
      `select e.first_reading_at as first, e.last_reading_at as last,
         (select min(measured_at) from (select measured_at from blood_pressure_reading where participant_id = $1 union all
            select measured_at from activity_reading where participant_id = $1 union all select measured_at from weight_reading where participant_id = $1 union all
            select measured_at from temperature_reading where participant_id = $1 union all select measured_at from oxygen_reading where participant_id = $1 union all
            select measured_at from ecg_reading where participant_id = $1) m) as min,
         (select max(measured_at) from (select measured_at from blood_pressure_reading where participant_id = $1 union all
            select measured_at from activity_reading where participant_id = $1 union all select measured_at from weight_reading where participant_id = $1 union all
            select measured_at from temperature_reading where participant_id = $1 union all select measured_at from oxygen_reading where participant_id = $1 union all
            select measured_at from ecg_reading where participant_id = $1) m) as max
       from enrollment e where e.participant_id = $1`,
      [user.participantId],
    );
    expect(times.first).toEqual(times.min);
    expect(times.last).toEqual(times.max);

    // The ledger says so.
    const ledger = await stack.platform.get(SyncLedger).forParticipant(user.participantId);
    expect(ledger.map((entry) => entry.kind).sort()).toEqual([...MEASUREMENT_KIND_NAMES].sort());
    for (const entry of ledger) {
      expect(entry).toMatchObject({ pull: null, lastError: null, consecutiveFailures: 0, lagSeconds: 0 });
      expect(entry.lastPullSucceededAt).toBeInstanceOf(Date);
    }
  }, 180_000);
});
