import { generateReadings, offsetLookup, ReadingIngestion, type NewReading } from '../apps/omron-sandbox/src/measurements/index.js';
import { apiDateTime, offsetHhMm } from '../apps/omron-sandbox/src/measurements/measurement-format.js';
import { adminQuery } from './support/test-database.js';
import { startNotificationReceiver } from './support/notification-receiver.js';
import { startSandboxHarness, type Json, type SandboxHarness } from './support/sandbox-harness.js';

// On a real server the readings stream in with COPY, in many chunks at this size; the embedded database
// (no DATABASE_URL) cannot take COPY over its socket and takes the batched-insert path. The same claims hold
// at any size, so the test uses a size that stays quick on a busy machine: how fast a million readings load
// is a figure, `npm run bench -- sandbox-bulk-load`.
const COUNT = 50_000;
const TIME_ZONE = 'America/Chicago';
const GENERATE = {
  type: 'bloodpressure',
  from: '2015-01-01T00:00:00Z',
  to: '2025-01-01T00:00:00Z',
  count: COUNT,
  seed: 11,
  afibRate: 0.05,
};

describe('OMRON sandbox bulk load through the admin API', () => {
  let sandbox: SandboxHarness;
  let receiver: Awaited<ReturnType<typeof startNotificationReceiver>>;
  let user: Json;
  let token: string;

  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${sandbox.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Json };
  };
  /** The one blood-pressure reading at `at` (or the next after it), as the measurement API returns it. */
  const readingAt = async (at: Date): Promise<Json> => {
    const response = await fetch(`${sandbox.baseUrl}/stg/api/measurement`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: new URLSearchParams({ type: 'bloodpressure', since: at.toISOString(), sortOrder: 'asc', limit: '1' }),
    });
    const body = (await response.json()) as Json;
    expect(body.status).toBe(0);
    return body.result.bloodPressure[0];
  };
  const storedCount = async (userId: string): Promise<number> =>
    Number(
      (
        await adminQuery<{ count: string }>(
          sandbox.database.settings.url,
          `select count(*) as count from omron_sandbox.measurement where user_id = $1`,
          [userId],
        )
      )[0]!.count,
    );

  // The same options and seed give the same readings, so the test knows every reading the load stores.
  // Drawn before the sandbox starts: a long pause between requests could meet a closing keep-alive socket.
  const expected = generateReadings({
    ...GENERATE,
    type: 'bloodpressure',
    from: new Date(GENERATE.from),
    to: new Date(GENERATE.to),
    offsetAt: offsetLookup(TIME_ZONE),
  }) as Extract<NewReading, { type: 'bloodpressure' }>[];

  beforeAll(async () => {
    sandbox = await startSandboxHarness({ SANDBOX_RATE_LIMIT_PER_MINUTE: '100000' });
    receiver = await startNotificationReceiver();
    user = (await post('/admin/users', { email: 'bulk@sandbox.test', password: 'password-123', timeZone: TIME_ZONE })).body;
    token = await sandbox.token(user.id, ['bloodpressure'], { clientId: 'bulk-app', notificationUri: receiver.url });
  });
  afterAll(async () => {
    await receiver?.close();
    await sandbox?.close();
  });

  it(`loads ${COUNT.toLocaleString('en-US')} readings in one call: the exact count, one notification, and readings that round-trip through the measurement API`, async () => {
    const response = await post(`/admin/users/${user.id}/readings/generate`, GENERATE);
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      received: COUNT,
      inserted: COUNT,
      byType: { bloodpressure: COUNT },
      notificationsQueued: 1,
      seed: 11,
    });
    expect((await (await fetch(`${sandbox.baseUrl}/admin/users/${user.id}`)).json()) as Json).toMatchObject({
      readings: { bloodpressure: COUNT },
    });
    expect(await storedCount(user.id)).toBe(COUNT);
    // One notification per user and type for the whole load.
    const [notification] = await receiver.waitFor(1);
    expect(notification.body).toEqual({ id: user.sub, timestamp: expect.any(Number), type: 'bloodpressure' });

    // Spot-check readings field by field, AFib ones included (flag set, pressures and pulse reported as 0).
    const afib = expected.flatMap((reading, index) => (reading.values.possibleAfib ? [index] : []));
    expect(afib.length).toBeGreaterThan(COUNT * 0.03);
    const offsetAt = offsetLookup(TIME_ZONE);
    for (const index of [0, 1, 4321, Math.floor(COUNT / 2), afib[0]!, afib[afib.length - 1]!, COUNT - 1]) {
      const reading = expected[index]!;
      const offset = offsetAt(reading.measuredAt);
      const afibReading = reading.values.possibleAfib;
      expect(await readingAt(reading.measuredAt)).toEqual({
        id: expect.any(Number),
        dateTime: apiDateTime(reading.measuredAt.getTime()),
        dateTimeLocal: apiDateTime(reading.measuredAt.getTime() + offset * 1000),
        dateTimeUtcOffset: offsetHhMm(offset),
        systolic: afibReading ? 0 : reading.values.systolic,
        diastolic: afibReading ? 0 : reading.values.diastolic,
        bloodPressureUnits: 'mmHg',
        pulse: afibReading ? 0 : reading.values.pulse,
        pulseUnits: 'bpm',
        ...(afibReading ? { possibleAfib: true } : {}),
        deviceType: reading.deviceType,
      });
    }

    const lastDay = await fetch(`${sandbox.baseUrl}/stg/api/measurement`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: new URLSearchParams({ type: 'bloodpressure', since: '2024-12-31' }),
    });
    const expectedLastDay = expected.filter((reading) => reading.measuredAt >= new Date('2024-12-31T00:00:00Z')).length;
    expect(((await lastDay.json()) as Json).result.bloodPressure).toHaveLength(expectedLastDay);
    const full = (await (
      await fetch(`${sandbox.baseUrl}/stg/api/measurement`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: new URLSearchParams({}),
      })
    ).json()) as Json;
    // No limit given and more readings than the server's maximum: the legacy flag says so.
    expect(full.result).toMatchObject({ truncated: true, measurementCount: 1000 });
  });

  it('stores nothing new and notifies nobody when the same load is sent again', async () => {
    const again = await post(`/admin/users/${user.id}/readings/generate`, GENERATE);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ received: COUNT, inserted: 0, byType: {}, notificationsQueued: 0 });
    expect(await storedCount(user.id)).toBe(COUNT);
  });

  it('keeps the first of two readings at the same second, whether or not the range already holds readings', async () => {
    const bp = (dateTime: string, systolic: number, deviceType = 'M700 Intelli IT') => ({
      type: 'bloodpressure',
      dateTime,
      systolic,
      diastolic: 80,
      pulse: 60,
      deviceType,
    });
    const existing = expected[100]!;
    const before = await readingAt(existing.measuredAt);

    // A range without readings (2014): a repeat inside the upload.
    const fresh = await post(`/admin/users/${user.id}/readings`, {
      readings: [
        bp('2014-03-01T08:00:00Z', 131, 'Tab\there, back\\slash,\nnew line'),
        bp('2014-03-01T20:00:00Z', 132),
        bp('2014-03-01T08:00:00Z', 199),
      ],
    });
    expect(fresh.body).toMatchObject({ received: 3, inserted: 2, notificationsQueued: 1 });
    expect(await readingAt(new Date('2014-03-01T08:00:00Z'))).toMatchObject({
      dateTime: '2014-03-01T08:00:00',
      systolic: 131,
      deviceType: 'Tab\there, back\\slash,\nnew line',
    });

    // A range with readings: one already stored, one new, one repeated.
    const overlapping = await post(`/admin/users/${user.id}/readings`, {
      readings: [bp(existing.measuredAt.toISOString(), 150), bp('2020-02-29T12:00:01Z', 141), bp('2020-02-29T12:00:01Z', 142)],
    });
    expect(overlapping.body).toMatchObject({ received: 3, inserted: 1, notificationsQueued: 1 });
    expect(await readingAt(existing.measuredAt)).toEqual(before);
    expect(await readingAt(new Date('2020-02-29T12:00:01Z'))).toMatchObject({ dateTime: '2020-02-29T12:00:01', systolic: 141 });
    expect(await storedCount(user.id)).toBe(COUNT + 3);
  });

  it('ignores a repeat of a stored reading that lies outside the range a load announced', async () => {
    const reading = (at: string, systolic: number) => ({
      type: 'bloodpressure' as const,
      measuredAt: new Date(at),
      deviceType: 'HEM-7361T',
      values: { systolic, diastolic: 80, pulse: 60, possibleAfib: false },
    });
    const ingestion = sandbox.app.get(ReadingIngestion);
    expect(await ingestion.ingest(user.id, [reading('2013-05-03T08:00:00Z', 120)], 'device')).toMatchObject({ inserted: 1 });
    // The announced range holds no readings, so the load tries a direct COPY; the repeat aborts it.
    const span = { types: ['bloodpressure' as const], from: new Date('2013-05-01T00:00:00Z'), to: new Date('2013-05-01T23:59:59Z') };
    const readings = [reading('2013-05-01T08:00:00Z', 121), reading('2013-05-02T08:00:00Z', 122), reading('2013-05-03T08:00:00Z', 199)];
    expect(await ingestion.ingest(user.id, readings, 'device', span)).toMatchObject({ received: 3, inserted: 2, notificationsQueued: 1 });
    expect(await readingAt(new Date('2013-05-03T08:00:00Z'))).toMatchObject({ dateTime: '2013-05-03T08:00:00', systolic: 120 });
    expect(await readingAt(new Date('2013-05-02T08:00:00Z'))).toMatchObject({ dateTime: '2013-05-02T08:00:00', systolic: 122 });
    expect(await storedCount(user.id)).toBe(COUNT + 6);
  });

  it("deletes a user's readings with the user", async () => {
    const other = await sandbox.user('deleted@sandbox.test');
    const loaded = await post(`/admin/users/${other.id}/readings/generate`, { ...GENERATE, count: 1000 });
    expect(loaded.body).toMatchObject({ inserted: 1000 });
    await adminQuery(sandbox.database.settings.url, `delete from omron_sandbox.sandbox_user where id = $1`, [other.id]);
    expect(await storedCount(other.id)).toBe(0);
    expect(await storedCount(user.id)).toBe(COUNT + 6);
    expect((await post(`/admin/users/${other.id}/readings/generate`, { ...GENERATE, count: 10 })).status).toBe(404);
  });
});
