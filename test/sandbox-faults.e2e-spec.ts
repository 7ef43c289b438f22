import { startSandboxHarness, type Json, type SandboxHarness } from './support/sandbox-harness.js';

describe('OMRON sandbox fault injection and rate limits', () => {
  let sandbox: SandboxHarness;
  let token: string;

  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${sandbox.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const measure = (bearer = token) =>
    fetch(`${sandbox.baseUrl}/stg/api/measurement`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}` },
      body: new URLSearchParams({ type: 'bloodpressure' }),
    });
  /** What a client sees: a status, or how the exchange broke. */
  const outcome = async (): Promise<string> => {
    try {
      const response = await measure();
      const text = await response.text();
      try {
        JSON.parse(text);
        return String(response.status);
      } catch {
        return `${response.status} not JSON`;
      }
    } catch {
      return 'connection broken';
    }
  };

  beforeAll(async () => {
    sandbox = await startSandboxHarness({ SANDBOX_RATE_LIMIT_PER_MINUTE: '100000' });
    const user = await sandbox.user('faults@sandbox.test');
    await sandbox.ingest(user.id, [
      {
        type: 'bloodpressure',
        measuredAt: new Date('2024-01-01T00:00:00Z'),
        deviceType: 'M7',
        values: { systolic: 120, diastolic: 80, pulse: 60, possibleAfib: false },
      },
    ]);
    token = await sandbox.token(user.id, ['bloodpressure'], { clientId: 'fault-app' });
  });
  afterEach(async () => {
    await admin('DELETE', '/admin/faults');
  });
  afterAll(() => sandbox?.close());

  it('injects a seeded mix of 500/503 answers, the same sequence for the same seed', async () => {
    const settings = { endpoint: '/stg/api/measurement', seed: 42, errorRate: 0.5, errorStatuses: [500, 503] };
    expect((await admin('PUT', '/admin/faults', settings)).status).toBe(200);
    const first: string[] = [];
    for (let index = 0; index < 20; index++) first.push(await outcome());
    await admin('PUT', '/admin/faults', settings);
    const second: string[] = [];
    for (let index = 0; index < 20; index++) second.push(await outcome());
    expect(second).toEqual(first);
    expect(first).toContain('200');
    expect(first.filter((status) => status === '500' || status === '503').length).toBeGreaterThan(3);
    const [listed] = (await (await admin('GET', '/admin/faults')).json()) as Json;
    expect(listed.injected.error).toBeGreaterThan(3);
  });

  it('starts bursts of 429 answers with Retry-After', async () => {
    await admin('PUT', '/admin/faults', {
      endpoint: '/stg/api/measurement',
      seed: 1,
      rateLimitBurstRate: 1,
      rateLimitBurstLength: 3,
      retryAfterSeconds: 7,
    });
    const response = await measure();
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect((await response.json()) as Json).toMatchObject({ errorCode: 'RATE_LIMIT_EXCEEDED' });
  });

  it('adds latency', async () => {
    await admin('PUT', '/admin/faults', { endpoint: '/stg/api/measurement', seed: 1, latencyMs: 300 });
    const started = Date.now();
    expect((await measure()).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it.each([
    ['resetRate', 'connection broken'],
    ['truncateRate', 'connection broken'],
    ['malformedRate', '200 not JSON'],
  ])('%s = 1 → %s', async (fault, expected) => {
    await admin('PUT', '/admin/faults', { endpoint: '/stg/api/measurement', seed: 3, [fault]: 1 });
    expect(await outcome()).toBe(expected);
    await admin('DELETE', '/admin/faults?endpoint=/stg/api/measurement');
    expect(await outcome()).toBe('200');
  });

  it('leaves other endpoints and the admin API alone', async () => {
    await admin('PUT', '/admin/faults', { endpoint: '/prd/api/measurement', seed: 1, errorRate: 1 });
    expect(await outcome()).toBe('200');
    await admin('PUT', '/admin/faults', { endpoint: '*', seed: 1, errorRate: 1 });
    expect((await admin('GET', '/admin/faults')).status).toBe(200);
  });

  it.each([
    [{ endpoint: 'no-slash', errorRate: 0.1 }],
    [{ endpoint: '/stg/api/measurement', errorRate: 2 }],
    [{ endpoint: '/stg/api/measurement', errorStatuses: [200] }],
    [{ endpoint: '/stg/api/measurement', surprise: true }],
  ])('refuses fault settings %j', async (settings) => {
    expect((await admin('PUT', '/admin/faults', settings)).status).toBe(400);
  });

  it('limits each client to its request budget with 429 and Retry-After, other clients unaffected', async () => {
    expect((await admin('PUT', '/admin/rate-limits/fault-app', { requestsPerMinute: 2 })).status).toBe(200);
    try {
      expect((await measure()).status).toBe(200);
      expect((await measure()).status).toBe(200);
      const limited = await measure();
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await limited.json()) as Json).toEqual({
        status: 429,
        reason: expect.any(String),
        errorCode: 'RATE_LIMIT_EXCEEDED',
      });

      const user = await sandbox.user('other-client@sandbox.test');
      const other = await sandbox.token(user.id, ['bloodpressure'], { clientId: 'other-app' });
      expect((await measure(other)).status).toBe(200);
      expect((await (await admin('GET', '/admin/rate-limits')).json()) as Json).toEqual({
        defaultRequestsPerMinute: 100000,
        overrides: { 'fault-app': 2 },
      });
    } finally {
      await admin('DELETE', '/admin/rate-limits/fault-app');
    }
    expect((await measure()).status).toBe(200);
  });
});
