import { MEASUREMENT_KIND_NAMES, MEASUREMENT_KINDS, type MeasurementKind } from '@opendsp/measurements';
import { SyncMaintenance, SyncScheduling, SyncStatusService } from '@opendsp/sync';
import { OmronConnection } from '@opendsp/tokens';
import { MikroORM } from '@mikro-orm/postgresql';
import { malformedMonthsSql, readingDaysSql, summaryDaysSql } from './support/reading-months.js';
import type { Json } from './support/sandbox-harness.js';
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

/** libs/insights' month summary of the participant equals a count of their readings, day by day. */
async function expectDaysCounted(stack: SyncStack, user: EnrolledParticipant): Promise<void> {
  expect(await stack.sql(malformedMonthsSql('$1'), [user.participantId])).toEqual([]);
  const counted = await stack.sql(readingDaysSql('$1'), [user.participantId]);
  expect(counted.length).toBeGreaterThan(100);
  expect(await stack.sql(summaryDaysSql('$1'), [user.participantId])).toEqual(counted);
}

async function expectEqualToGroundTruth(
  stack: SyncStack,
  user: EnrolledParticipant,
  kinds: readonly MeasurementKind[] = MEASUREMENT_KIND_NAMES,
) {
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
    stack = await startSyncStack({}, { SYNC_PAGE_SIZE: '500', SYNC_REQUEST_TIMEOUT_SECONDS: '2', SYNC_JOB_RETRY_LIMIT: '2' });
  }, 120_000);
  afterAll(() => stack?.close());

  // First, while this participant is the only one: reconciliation re-pulls every active participant's kinds.
  it('reconciles: re-pulls the last few days of every active participant, which catches a missed notification', async () => {
    const user = await stack.enroll('reconciled@sandbox.test');
    const reading = (at: Date, systolic: number) => ({
      type: 'bloodpressure' as const,
      measuredAt: at,
      deviceType: 'HEM-7361T',
      values: { systolic, diastolic: 84, pulse: 66, possibleAfib: false },
    });
    await stack.sandbox.ingest(user.sandboxUserId, [
      reading(new Date(Date.now() - 10 * 86_400_000), 120),
      reading(new Date(Date.now() - 3_600_000), 125),
    ]);
    await stack.waitForIdle();
    expect(await stack.stored(user.participantId, 'blood_pressure')).toHaveLength(2);

    // A reading measured three days ago arrives late, and OMRON's notification about it never reaches the platform.
    await stack.sandboxSql(`update omron_sandbox.registered_app set notification_uri = null`);
    try {
      await stack.sandbox.ingest(user.sandboxUserId, [reading(new Date(Date.now() - 3 * 86_400_000), 131)]);
      // An incremental pull starts a day before the newest reading, so it cannot see it.
      await stack.platform.get(SyncScheduling).syncNow(user.participantId, 'blood_pressure');
      await stack.waitForIdle();
      expect(await stack.stored(user.participantId, 'blood_pressure')).toHaveLength(2);

      const observed = stack.observeMeasurements();
      try {
        expect(await stack.platform.get(SyncMaintenance).reconcile()).toBeGreaterThanOrEqual(1);
        await stack.waitForIdle();
      } finally {
        observed.stop();
      }
      const mine = observed.requests.filter((request) => request.sub === user.omronUserId);
      expect(new Set(mine.map((request) => request.query.type))).toEqual(
        new Set(MEASUREMENT_KIND_NAMES.map((kind) => MEASUREMENT_KINDS[kind].upstreamType)),
      );
      await expectEqualToGroundTruth(stack, user, ['blood_pressure']);
      expect(await stack.stored(user.participantId, 'blood_pressure')).toHaveLength(3);
    } finally {
      await stack.sandboxSql(`update omron_sandbox.registered_app set notification_uri = $1`, [`${stack.platformUrl}/omron/notifications`]);
    }
  }, 120_000);

  it('backfills the whole history of every kind, equal to the sandbox ground truth field for field', async () => {
    const user = await stack.enroll('backfill@sandbox.test');
    await loadEveryKind(stack, user, 11);
    expect(await stack.platform.get(SyncScheduling).requestBackfill(user.participantId)).toEqual([...MEASUREMENT_KIND_NAMES]);
    await stack.waitForIdle(120_000);
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

    // The backfill's pages only noted the participant; the pulls' ends counted every local day once (libs/insights).
    await expectDaysCounted(stack, user);

    // The ledger says so.
    const ledger = await stack.platform.get(SyncStatusService).ledger(user.participantId);
    expect(ledger.map((entry) => entry.kind).sort()).toEqual([...MEASUREMENT_KIND_NAMES].sort());
    for (const entry of ledger) {
      expect(entry).toMatchObject({ inLedger: true, pull: null, lastError: null, consecutiveFailures: 0, lagSeconds: 0 });
      expect(entry.lastPullSucceededAt).toBeInstanceOf(Date);
    }
  }, 180_000);

  async function backfilled(email: string, seed: number, kinds?: { type: string; count: number }[]): Promise<EnrolledParticipant> {
    const user = await stack.enroll(email);
    for (const { type, count } of kinds ?? [
      { type: 'bloodpressure', count: 800 },
      { type: 'activity', count: 120 },
    ]) {
      await stack.generate(user.sandboxUserId, { from: '2026-01-01', to: '2026-06-30', seed, type, count });
    }
    await stack.platform.get(SyncScheduling).requestBackfill(user.participantId);
    await stack.waitForIdle(120_000);
    return user;
  }

  const changeSeqs = (participantId: string) =>
    stack.sql<{ kind: string; upstream_id: string; change_seq: string; updated_at: Date }>(
      `select 'bp' as kind, upstream_id::text, change_seq::text, updated_at from blood_pressure_reading where participant_id = $1
       union all select 'activity', upstream_id::text, change_seq::text, updated_at from activity_reading where participant_id = $1
       order by 1, 2`,
      [participantId],
    );

  it('changes nothing when the same readings are pulled again, and asks from one day before the newest local date', async () => {
    const user = await backfilled('replay@sandbox.test', 21);
    const before = await changeSeqs(user.participantId);
    const hoursBefore = await stack.sql(`select id, activity_id, hour from activity_hourly_reading order by id`);
    const observed = stack.observeMeasurements();
    try {
      await stack.platform.get(SyncScheduling).syncNow(user.participantId);
      await stack.waitForIdle();
    } finally {
      observed.stop();
    }
    expect(await changeSeqs(user.participantId)).toEqual(before);
    expect(await stack.sql(`select id, activity_id, hour from activity_hourly_reading order by id`)).toEqual(hoursBefore);
    const ledger = await stack.platform.get(SyncStatusService).ledger(user.participantId);
    expect(ledger.find((entry) => entry.kind === 'blood_pressure')).toMatchObject({ lastPullChanged: 0 });
    expect(ledger.find((entry) => entry.kind === 'blood_pressure')!.lastPullReadings).toBeGreaterThan(0);

    // The request: sorted ascending, hourly activity, since = the newest stored reading's local date minus one day.
    const [newest] = await stack.sql<{ local_time: string }>(
      `select local_time from blood_pressure_reading where participant_id = $1 order by measured_at desc limit 1`,
      [user.participantId],
    );
    const bp = observed.requests.filter((request) => request.query.type === 'bloodpressure');
    expect(bp.length).toBeGreaterThanOrEqual(1);
    const expectedSince = new Date(Date.parse(`${newest.local_time.slice(0, 10)}T00:00:00Z`) - 86_400_000);
    expect(bp[0].query).toMatchObject({ sortOrder: 'asc', includeHourlyActivity: true, since: expectedSince, after: {} });
  }, 180_000);

  it('updates a reading OMRON changed, with a new change sequence number, and replaces the day’s hours', async () => {
    const user = await backfilled('changed@sandbox.test', 31);
    const before = await changeSeqs(user.participantId);
    const maxBefore = Math.max(...before.map((row) => Number(row.change_seq)));
    // Upstream, one blood pressure reading is corrected and one day's activity gains steps in one hour.
    const [bp] = await stack.sandboxSql<{ id: string }>(
      `update omron_sandbox.measurement set "values" = jsonb_set("values", '{systolic}', '177') where id = (
         select id from omron_sandbox.measurement where user_id = $1 and type = 'bloodpressure' and not ("values"->>'possibleAfib')::boolean
         order by measured_at desc limit 1 offset 3) returning id::text`,
      [user.sandboxUserId],
    );
    const [day] = await stack.sandboxSql<{ id: string }>(
      `update omron_sandbox.measurement set "values" = jsonb_set("values", '{hourly,9,steps}', to_jsonb((("values"->'hourly'->9->>'steps')::int + 250)))
       where id = (select id from omron_sandbox.measurement where user_id = $1 and type = 'activity' order by measured_at desc limit 1 offset 1)
       returning id::text`,
      [user.sandboxUserId],
    );
    await stack.platform.get(SyncScheduling).requestPulls([
      { participantId: user.participantId, kind: 'blood_pressure', since: '2026-01-01' },
      { participantId: user.participantId, kind: 'activity', since: '2026-01-01' },
    ]);
    await stack.waitForIdle();

    const after = await changeSeqs(user.participantId);
    const moved = after.filter((row, index) => row.change_seq !== before[index].change_seq);
    expect(moved.map((row) => [row.kind, row.upstream_id]).sort()).toEqual(
      [
        ['activity', day.id],
        ['bp', bp.id],
      ].sort(),
    );
    for (const row of moved) expect(Number(row.change_seq)).toBeGreaterThan(maxBefore);
    await expectEqualToGroundTruth(stack, user, ['blood_pressure', 'activity']);
    const [stored] = await stack.sql<{ systolic_mmhg: number }>(`select systolic_mmhg from blood_pressure_reading where upstream_id = $1`, [
      bp.id,
    ]);
    expect(stored.systolic_mmhg).toBe(177);
  }, 180_000);

  it('pulls by itself when OMRON notifies: device upload → notification → inbox → pull', async () => {
    const user = await stack.enroll('notified@sandbox.test');
    await stack.generate(user.sandboxUserId, { from: '2026-02-01', to: '2026-03-01', seed: 41, type: 'weight', count: 40 });
    await stack.generate(user.sandboxUserId, { from: '2026-02-01', to: '2026-03-01', seed: 41, type: 'oxygen', count: 40 });
    await stack.waitForIdle();
    const notifications = await stack.sql<{ type: string }>(`select type from sync_notification where participant_id = $1 order by type`, [
      user.participantId,
    ]);
    expect(notifications.map((row) => row.type)).toEqual(['oxygen', 'weight']);
    await expectEqualToGroundTruth(stack, user, ['weight', 'oxygen']);
    const ledger = await stack.platform.get(SyncStatusService).ledger(user.participantId);
    expect(ledger.find((entry) => entry.kind === 'weight')!.lastNotificationAt).toBeInstanceOf(Date);
  }, 120_000);

  it('ends equal to the ground truth through 30% injected 503s, timeouts, resets, truncated and malformed bodies', async () => {
    const user = await stack.enroll('faults@sandbox.test');
    const range = { from: '2025-06-01', to: '2026-06-30', seed: 51 };
    for (const [type, count] of [
      ['bloodpressure', 3000],
      ['activity', 300],
      ['weight', 1500],
      ['temperature', 700],
      ['oxygen', 700],
      ['ecg', 20],
    ] as const) {
      await stack.generate(user.sandboxUserId, { ...range, type, count });
    }
    await stack.waitForIdle();
    // Start from nothing: the notifications above already synced some of it. The readings' summary goes with them, as
    // every path that deletes readings does (a withdrawal through ParticipantReadingsPort): pages count what they
    // insert, so readings deleted behind the summary's back would be counted twice when the backfill brings them.
    for (const kind of MEASUREMENT_KIND_NAMES)
      await stack.sql(`delete from ${MEASUREMENT_KINDS[kind].table} where participant_id = $1`, [user.participantId]);
    await stack.sql(`delete from participant_reading_month where participant_id = $1`, [user.participantId]);
    const faults = {
      endpoint: '/stg/api/measurement',
      seed: 7,
      errorRate: 0.3,
      errorStatuses: [503],
      resetRate: 0.08,
      truncateRate: 0.08,
      malformedRate: 0.08,
      latencyMs: 0,
      latencyJitterMs: 3000,
    };
    expect((await stack.sandboxAdmin('PUT', '/admin/faults', faults)).status).toBe(200);
    try {
      await stack.platform.get(SyncScheduling).requestBackfill(user.participantId);
      await stack.waitForIdle(240_000);
      const [state] = (await (await stack.sandboxAdmin('GET', '/admin/faults')).json()) as Json[];
      // The faults really happened, each kind of them.
      expect(state.injected.error).toBeGreaterThan(5);
      expect(state.injected.reset + state.injected.truncate + state.injected.malformed).toBeGreaterThan(3);
    } finally {
      await stack.sandboxAdmin('DELETE', '/admin/faults');
    }
    await expectEqualToGroundTruth(stack, user);
    // Its pulls failed and were retried many times: every page that committed counted its readings once, and a page
    // that failed rolled its counts back with its readings.
    await expectDaysCounted(stack, user);
  }, 300_000);

  it('converts lb, °F and miles, keeping the values as sent, and reads offsets given in seconds', async () => {
    const user = await stack.enroll('imperial@sandbox.test', {
      preferences: {
        weightUnit: 'lb',
        temperatureUnit: 'F',
        distanceUnit: 'miles',
        timeZone: 'America/Chicago',
        utcOffsetFormat: 'seconds',
      },
    });
    for (const type of ['weight', 'temperature', 'activity']) {
      await stack.generate(user.sandboxUserId, { from: '2026-01-10', to: '2026-07-10', seed: 61, type, count: 60 });
    }
    await stack.platform.get(SyncScheduling).requestBackfill(user.participantId);
    await stack.waitForIdle();
    const truth = await stack.sandboxSql<{ type: string; id: string; utc_offset_seconds: number; values: Json }>(
      `select type, id::text, utc_offset_seconds, "values" from omron_sandbox.measurement where user_id = $1`,
      [user.sandboxUserId],
    );
    const weights = await stack.sql<Json>(`select * from weight_reading where participant_id = $1`, [user.participantId]);
    const temperatures = await stack.sql<Json>(`select * from temperature_reading where participant_id = $1`, [user.participantId]);
    const days = await stack.sql<Json>(`select * from activity_reading where participant_id = $1`, [user.participantId]);
    expect(weights).toHaveLength(60);
    expect(temperatures).toHaveLength(60);
    expect(days.length).toBe(truth.filter((row) => row.type === 'activity').length);
    const byId = new Map(truth.map((row) => [row.id, row]));
    for (const row of weights) {
      const kg = byId.get(row.upstream_id)!.values.weightKg as number;
      expect(row.weight_unit).toBe('lb');
      expect(row.weight_original).toBe(Number((kg * 2.2046226218).toFixed(1)));
      expect(Math.abs(row.weight_kg - kg)).toBeLessThanOrEqual(0.03);
    }
    for (const row of temperatures) {
      const celsius = byId.get(row.upstream_id)!.values.celsius as number;
      expect(row.temperature_unit).toBe('°F');
      expect(row.temperature_original).toBe(Number(((celsius * 9) / 5 + 32).toFixed(1)));
      expect(Math.abs(row.temperature_c - celsius)).toBeLessThanOrEqual(0.04);
    }
    for (const row of days) {
      const meters = byId.get(row.upstream_id)!.values.distanceMeters as number;
      expect(row.distance_unit).toBe('miles');
      expect(row.distance_original).toBe(Number((meters / 1609.344).toFixed(2)));
      expect(Math.abs(row.distance_km - meters / 1000)).toBeLessThanOrEqual(0.01);
    }
    // Chicago is UTC−6 in winter and UTC−5 in summer: both seen, and the local time agrees with each.
    const offsets = new Set([...weights, ...temperatures].map((row) => row.utc_offset_seconds));
    expect(offsets).toEqual(new Set([-21600, -18000]));
    for (const row of [...weights, ...temperatures]) {
      expect(row.utc_offset_seconds).toBe(byId.get(row.upstream_id)!.utc_offset_seconds);
      expect(row.local_time).toBe(new Date(row.measured_at.getTime() + row.utc_offset_seconds * 1000).toISOString().slice(0, 19));
    }
  }, 120_000);

  it('refreshes the access token once after a 401 and carries on', async () => {
    const user = await stack.enroll('rejected@sandbox.test');
    await stack.generate(user.sandboxUserId, { from: '2026-03-01', to: '2026-04-01', seed: 71, type: 'temperature', count: 30 });
    await stack.waitForIdle();
    const issued = await stack.accessTokensIssued(user.omronUserId);
    // OMRON no longer accepts the access token the platform holds (which still looks valid to it).
    await stack.sandboxSql(
      `update omron_sandbox.oauth_token t set revoked_at = now() from omron_sandbox.oauth_grant g, omron_sandbox.sandbox_user u
       where t.grant_id = g.id and g.user_id = u.id and u.sub = $1 and t.kind = 'access'`,
      [user.omronUserId],
    );
    await stack.generate(user.sandboxUserId, { from: '2026-04-01', to: '2026-05-01', seed: 72, type: 'temperature', count: 30 });
    await stack.waitForIdle();
    expect(await stack.accessTokensIssued(user.omronUserId)).toBe(issued + 1);
    await expectEqualToGroundTruth(stack, user, ['temperature']);
  }, 120_000);

  it('lists a pull that keeps failing as a dead letter, and resolves it when a later pull succeeds', async () => {
    const user = await stack.enroll('unreadable@sandbox.test');
    await stack.generate(user.sandboxUserId, { from: '2026-03-01', to: '2026-04-01', seed: 81, type: 'oxygen', count: 20 });
    await stack.waitForIdle();
    // The upstream starts sending an oxygen entry this platform cannot read.
    const observed = stack.observeMeasurements((access, response) => {
      if (access.sub !== user.omronUserId || !response.result.oxygen?.length) return response;
      const [first, ...rest] = response.result.oxygen;
      return { ...response, result: { ...response.result, oxygen: [{ ...first, oxygenLevel: 'n/a' }, ...rest] } };
    });
    try {
      await stack.platform.get(SyncScheduling).syncNow(user.participantId, 'oxygen');
      await stack.waitForIdle(60_000);
    } finally {
      observed.stop();
    }
    const status = stack.platform.get(SyncStatusService);
    const everyGroup = { groupIds: null };
    const [dead] = await status.deadLetters(everyGroup, 10);
    const [{ ogsc_id }] = await stack.sql<{ ogsc_id: string }>(`select ogsc_id from participant where id = $1`, [user.participantId]);
    expect(dead).toMatchObject({ ogscId: ogsc_id, kind: 'oxygen', retryAt: null });
    expect(dead.reason).toContain('MeasurementFormatError');
    expect(dead.reason).toContain('oxygenLevel');
    expect(dead.attempts).toBe(3); // the first attempt and SYNC_JOB_RETRY_LIMIT (2) retries
    expect((await status.ledger(user.participantId)).find((entry) => entry.kind === 'oxygen')!.lastError).toContain('gave up');
    expect((await status.overview(everyGroup)).deadLetters).toBe(1);

    await stack.platform.get(SyncScheduling).syncNow(user.participantId, 'oxygen');
    await stack.waitForIdle();
    expect(await status.deadLetters(everyGroup, 10)).toEqual([]);
    const [resolved] = await stack.sql<{ resolved_at: Date | null }>(`select resolved_at from sync_dead_letter where id = $1`, [dead.id]);
    expect(resolved.resolved_at).toBeInstanceOf(Date);
    expect((await status.ledger(user.participantId)).find((entry) => entry.kind === 'oxygen')!.lastError).toBeNull();
  }, 120_000);

  it('does not call OMRON for a connection that needs reconnecting, and says why in the ledger', async () => {
    const user = await stack.enroll('disconnected@sandbox.test');
    const em = stack.platform.get(MikroORM).em.fork();
    await em.nativeUpdate(OmronConnection, { id: user.connection.id }, { state: 'reconnect_needed' });
    const observed = stack.observeMeasurements();
    try {
      await stack.platform.get(SyncScheduling).syncNow(user.participantId, 'weight');
      await stack.waitForIdle();
    } finally {
      observed.stop();
    }
    expect(observed.requests).toEqual([]);
    const entry = (await stack.platform.get(SyncStatusService).ledger(user.participantId)).find((candidate) => candidate.kind === 'weight');
    expect(entry).toMatchObject({ lastError: 'not pulled: the OMRON connection is reconnect_needed', lagSeconds: 0 });
  });
});
