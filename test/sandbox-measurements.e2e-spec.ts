import type { MeasurementSuccessResponse } from '@opendsp/omron-api';
import { UserPreferencesService, type NewReading } from '../apps/omron-sandbox/src/measurements/index.js';
import { startSandboxHarness, type SandboxHarness } from './support/sandbox-harness.js';

const ALL_SCOPES = ['bloodpressure', 'activity', 'weight', 'temperature', 'oxygen', 'ecg', 'openid', 'offline_access'];

function bp(at: string, systolic: number, options: { afib?: boolean } = {}): NewReading {
  return {
    type: 'bloodpressure',
    measuredAt: new Date(at),
    deviceType: 'M700 Intelli IT',
    values: { systolic, diastolic: systolic - 45, pulse: 70, possibleAfib: options.afib ?? false },
  };
}

describe('OMRON sandbox measurement API', () => {
  let sandbox: SandboxHarness;
  let user: { id: string; sub: string };
  let token: string;

  const post = async (
    params: Record<string, string>,
    options: { token?: string | null; path?: string; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { ...options.headers };
    const bearer = options.token === undefined ? token : options.token;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    const response = await fetch(`${sandbox.baseUrl}${options.path ?? '/stg/api/measurement'}`, {
      method: 'POST',
      headers,
      body: new URLSearchParams(params),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as MeasurementSuccessResponse & Record<string, unknown>,
    };
  };

  beforeAll(async () => {
    sandbox = await startSandboxHarness({ SANDBOX_RATE_LIMIT_PER_MINUTE: '100000' });
    user = await sandbox.user('measurements@sandbox.test');
    token = await sandbox.token(user.id, ALL_SCOPES);
    await sandbox.ingest(user.id, [
      bp('2022-02-03T16:44:13Z', 92),
      bp('2026-01-06T06:03:13Z', 150, { afib: true }),
      bp('2022-02-01T08:00:00Z', 120),
      bp('2022-01-15T08:00:00Z', 130),
      {
        type: 'weight',
        measuredAt: new Date('2022-02-07T09:21:26Z'),
        deviceType: 'HN-300T2 Intelli IT',
        values: {
          weightKg: 71.6,
          bmi: 25.52,
          bodyFatPercentage: null,
          restingMetabolism: null,
          visceralFatLevel: null,
          skeletalMusclePercentage: null,
        },
      },
      { type: 'temperature', measuredAt: new Date('2022-02-03T16:53:03Z'), deviceType: 'model_mc_280b_e', values: { celsius: 37 } },
      {
        type: 'oxygen',
        measuredAt: new Date('2022-02-03T16:51:29Z'),
        deviceType: 'blesmart_00060002b87c6f2aeac4',
        values: { spo2: 99, pulse: 73 },
      },
      {
        type: 'activity',
        measuredAt: new Date('2021-12-09T00:00:00Z'),
        deviceType: 'HCR-6900T',
        values: {
          steps: 1200,
          aerobicSteps: 300,
          calories: 48,
          distanceMeters: 1609.344,
          hourly: Array.from({ length: 24 }, (_, hour) => ({
            hour,
            steps: hour === 8 ? 1200 : 0,
            aerobicSteps: hour === 8 ? 300 : 0,
            calories: hour === 8 ? 48 : 0,
            distanceMeters: hour === 8 ? 1609.344 : 0,
          })),
        },
      },
      {
        type: 'ecg',
        measuredAt: new Date('2024-05-01T10:00:00Z'),
        deviceType: 'Complete HEM-7530T',
        values: {
          classification: 'normal',
          heartRate: 64,
          samplingRate: 250,
          durationSeconds: 1,
          waveform: Array.from({ length: 250 }, (_, index) => index % 50),
        },
      },
    ]);
  });
  afterAll(() => sandbox?.close());

  it('answers a blood-pressure request with the fields and units of the spec, newest first', async () => {
    const { status, body } = await post({ type: 'bloodpressure', since: '2022-02-01', limit: '1' });
    expect(status).toBe(200);
    expect(body.status).toBe(0);
    expect(Object.keys(body.result)).toEqual(['bloodPressure', 'paginationKey', 'truncated', 'measurementCount']);
    expect(body.result.bloodPressure).toEqual([
      {
        id: expect.any(Number),
        dateTime: '2026-01-06T06:03:13',
        dateTimeLocal: '2026-01-06T06:03:13',
        dateTimeUtcOffset: '+00:00',
        systolic: 0,
        diastolic: 0,
        bloodPressureUnits: 'mmHg',
        pulse: 0,
        pulseUnits: 'bpm',
        possibleAfib: true,
        deviceType: 'M700 Intelli IT',
      },
    ]);
    expect(body.result.paginationKey).toEqual({ bloodpressurePaginationKey: Date.parse('2026-01-06T06:03:13Z') });
    expect(body.result).toMatchObject({ truncated: false, measurementCount: 1 });
  });

  it('leaves possibleAfib out of ordinary readings and keeps their values', async () => {
    const { body } = await post({ type: 'bloodpressure', since: '2022-02-03', sortOrder: 'asc', limit: '1' });
    const [reading] = body.result.bloodPressure!;
    expect(reading).toMatchObject({ systolic: 92, diastolic: 47, pulse: 70, dateTime: '2022-02-03T16:44:13' });
    expect(reading).not.toHaveProperty('possibleAfib');
  });

  it.each(['02-01-2022', '02/01/2022', '2022-02-01', '2022-02-01T00:00:00Z'])('reads since=%s as 1 February 2022', async (since) => {
    const { body } = await post({ type: 'bloodpressure', since, sortOrder: 'asc' });
    expect(body.result.bloodPressure!.map((reading) => reading.dateTime)).toEqual([
      '2022-02-01T08:00:00',
      '2022-02-03T16:44:13',
      '2026-01-06T06:03:13',
    ]);
    expect(body.result.paginationKey.bloodpressurePaginationKey).toBeNull();
  });

  it('returns every type the user granted when no type is given, and a key per type', async () => {
    const { body } = await post({});
    expect(Object.keys(body.result.paginationKey).sort()).toEqual(
      ['activity', 'bloodpressure', 'ecg', 'oxygen', 'temperature', 'weight'].map((type) => `${type}PaginationKey`),
    );
    expect(body.result.measurementCount).toBe(9);
    expect(body.result.bloodPressure).toHaveLength(4);
    expect(body.result.activity![0]).not.toHaveProperty('hourlyActivityData');
  });

  it('returns only the scopes the user granted', async () => {
    const bpOnly = await sandbox.token(user.id, ['bloodpressure', 'openid'], { clientId: 'bp-only-app' });
    const all = await post({}, { token: bpOnly });
    expect(Object.keys(all.body.result).filter((key) => Array.isArray(all.body.result[key as 'weight']))).toEqual(['bloodPressure']);
    const weight = await post({ type: 'weight' }, { token: bpOnly });
    expect(weight.status).toBe(403);
    expect(weight.body).toEqual({ status: 403, reason: expect.stringContaining('weight'), errorCode: 'SCOPE_NOT_GRANTED' });
  });

  it('includes hourly activity only when asked', async () => {
    const { body } = await post({ type: 'activity', includeHourlyActivity: 'true' });
    const [day] = body.result.activity!;
    expect(day).toMatchObject({
      steps: 1200,
      caloriesUnits: 'kcal',
      dailyDistance: '1',
      distanceUnits: 'miles',
      dateTime: '2021-12-09T00:00:00',
    });
    expect(day.hourlyActivityData).toHaveLength(24);
    expect(day.hourlyActivityData![8]).toEqual({ hour: '08:00', distance: 1, aerobicSteps: 300, calories: 48, steps: 1200 });
  });

  it('serves weight as strings with -1.0 for unmeasured values, in kg or lb, and temperature in °C or °F', async () => {
    const kg = await post({ type: 'weight' });
    expect(kg.body.result.weight![0]).toMatchObject({
      weight: '71.6',
      weightPref: 'kg',
      bmiValue: '25.52',
      bodyFatPercentage: '-1.0',
      restingMetabolism: '-1.0',
      idExt: kg.body.result.weight![0].id,
      dateTimeUtcOffset: '0',
    });
    const preferences = sandbox.app.get(UserPreferencesService);
    await preferences.update(user.id, { weightUnit: 'lb', temperatureUnit: 'F' });
    try {
      expect((await post({ type: 'weight' })).body.result.weight![0]).toMatchObject({ weight: '157.9', weightPref: 'lb' });
      expect((await post({ type: 'temperature' })).body.result.temperature![0]).toMatchObject({
        temperature: '98.6',
        temperaturePref: '°F',
      });
    } finally {
      await preferences.update(user.id, { weightUnit: 'kg', temperatureUnit: 'C' });
    }
    expect((await post({ type: 'oxygen' })).body.result.oxygen![0]).toMatchObject({ oxygenLevel: '99', pulse: '73' });
  });

  it('stamps local time and both offset forms from the user time zone', async () => {
    const local = await sandbox.user('chicago@sandbox.test');
    await sandbox.app.get(UserPreferencesService).update(local.id, { timeZone: 'America/Chicago' });
    await sandbox.ingest(local.id, [
      bp('2022-02-07T09:21:26Z', 120),
      {
        type: 'weight',
        measuredAt: new Date('2022-02-07T09:21:26Z'),
        deviceType: 'HBF-222T',
        values: {
          weightKg: 80,
          bmi: 26.12,
          bodyFatPercentage: 25.3,
          restingMetabolism: 1650,
          visceralFatLevel: 9,
          skeletalMusclePercentage: 32.5,
        },
      },
    ]);
    const localToken = await sandbox.token(local.id, ALL_SCOPES);
    const { body } = await post({}, { token: localToken });
    expect(body.result.weight![0]).toMatchObject({
      dateTime: '2022-02-07T09:21:26',
      dateTimeLocal: '2022-02-07T03:21:26',
      dateTimeUtcOffset: '-21600',
      bodyFatPercentage: '25.3',
      visceralFatLevel: '9.0',
    });
    expect(body.result.bloodPressure![0]).toMatchObject({ dateTimeLocal: '2022-02-07T03:21:26', dateTimeUtcOffset: '-06:00' });
  });

  it('serves ECG recordings (sandbox extension) only with the ecg scope', async () => {
    const { body } = await post({ type: 'ecg' });
    expect(body.result.ecg![0]).toMatchObject({
      classification: 'normal',
      heartRate: 64,
      samplingRate: 250,
      samplingRateUnits: 'Hz',
      duration: 1,
    });
    expect(body.result.ecg![0].waveform).toHaveLength(250);
    const withoutEcg = await sandbox.token(user.id, ['bloodpressure'], { clientId: 'no-ecg-app' });
    expect((await post({ type: 'ecg' }, { token: withoutEcg })).status).toBe(403);
  });

  it('pages through every reading exactly once in both orders, even while new readings arrive', async () => {
    const pager = await sandbox.user('pager@sandbox.test');
    const start = Date.parse('2023-01-01T00:00:00Z');
    await sandbox.ingest(
      pager.id,
      Array.from({ length: 25 }, (_, index) => bp(new Date(start + index * 3_600_000).toISOString(), 100 + index)),
    );
    const pagerToken = await sandbox.token(pager.id, ['bloodpressure']);
    for (const sortOrder of ['desc', 'asc']) {
      const seen: string[] = [];
      let key: number | null | undefined;
      let round = 0;
      do {
        const params: Record<string, string> = { type: 'bloodpressure', limit: '7', sortOrder, since: '2023-01-01' };
        if (key) params.bloodpressurePaginationKey = String(key);
        const { body } = await post(params, { token: pagerToken });
        seen.push(...body.result.bloodPressure!.map((reading) => reading.dateTime));
        key = body.result.paginationKey.bloodpressurePaginationKey;
        // New readings arrive at both ends while the client pages.
        await sandbox.ingest(pager.id, [
          bp(new Date(Date.parse('2022-06-01T00:00:00Z') + round * 60_000 + (sortOrder === 'asc' ? 1000 : 0)).toISOString(), 111),
          bp(new Date(Date.now() + round * 1000).toISOString(), 112),
        ]);
        round++;
      } while (key);
      const original = Array.from({ length: 25 }, (_, index) => new Date(start + index * 3_600_000).toISOString().slice(0, 19));
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.filter((dateTime) => original.includes(dateTime))).toEqual(sortOrder === 'asc' ? original : [...original].reverse());
      expect(round).toBeGreaterThanOrEqual(4);
    }
  });

  it('ignores a re-upload of the same reading', async () => {
    const result = await sandbox.ingest(user.id, [bp('2022-02-03T16:44:13.400Z', 92)]);
    expect(result).toMatchObject({ received: 1, inserted: 0 });
  });

  it('answers on the production path too, to production tokens only', async () => {
    const production = await sandbox.token(user.id, ALL_SCOPES, { environment: 'prd' });
    expect((await post({ type: 'bloodpressure', limit: '1' }, { path: '/prd/api/measurement', token: production })).body.status).toBe(0);
    expect((await post({ type: 'bloodpressure', limit: '1' }, { path: '/prd/api/measurement' })).status).toBe(401);
  });

  describe('refuses bad requests with the API error envelope, never a 500', () => {
    it.each([
      [{ since: '13-45-2015' }, 'since'],
      [{ since: '2015-02-30' }, 'since'],
      [{ since: 'yesterday' }, 'since'],
      [{ limit: '1000000' }, 'limit'],
      [{ limit: '0' }, 'limit'],
      [{ limit: '-3' }, 'limit'],
      [{ limit: '1e3' }, 'limit'],
      [{ type: 'glucose' }, 'type'],
      [{ sortOrder: 'sideways' }, 'sortOrder'],
      [{ includeHourlyActivity: 'maybe' }, 'includeHourlyActivity'],
      [{ bloodpressurePaginationKey: 'abc' }, 'bloodpressurePaginationKey'],
      [{ userId: 'someone-else' }, 'userId'],
    ])('%j', async (params, parameter) => {
      const { status, body } = await post(params);
      expect(status).toBe(400);
      expect(body).toEqual({ status: 400, reason: expect.stringContaining(parameter), errorCode: 'INVALID_PARAMETER' });
    });

    it('a parameter given twice', async () => {
      const response = await fetch(`${sandbox.baseUrl}/stg/api/measurement`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'limit=1&limit=2',
      });
      expect(response.status).toBe(400);
    });

    it('a JSON body', async () => {
      const response = await fetch(`${sandbox.baseUrl}/stg/api/measurement`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'weight' }),
      });
      expect(response.status).toBe(415);
      expect(await response.json()).toMatchObject({ status: 415, errorCode: 'UNSUPPORTED_CONTENT_TYPE' });
    });

    it('a GET', async () => {
      const response = await fetch(`${sandbox.baseUrl}/stg/api/measurement`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(await response.json()).toMatchObject({ errorCode: 'METHOD_NOT_ALLOWED' });
    });

    it.each([
      ['no token', null],
      ['an unknown token', 'not-a-token'],
      ['an empty bearer', ''],
    ])('%s → 401', async (_name, bearer) => {
      const { status, body, headers } = await post({ type: 'bloodpressure' }, { token: bearer });
      expect(status).toBe(401);
      expect(body).toEqual({ status: 401, reason: expect.any(String), errorCode: 'INVALID_TOKEN' });
      expect(headers.get('www-authenticate')).toContain('invalid_token');
    });

    it('an expired token → 401', async () => {
      const expired = await sandbox.token(user.id, ALL_SCOPES, { expiresInSeconds: -1 });
      expect((await post({}, { token: expired })).status).toBe(401);
    });
  });
});
