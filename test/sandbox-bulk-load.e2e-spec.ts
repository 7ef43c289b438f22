import { startSandboxHarness, type Json, type SandboxHarness } from './support/sandbox-harness.js';

describe('OMRON sandbox bulk load through the admin API', () => {
  let sandbox: SandboxHarness;
  beforeAll(async () => {
    sandbox = await startSandboxHarness({ SANDBOX_RATE_LIMIT_PER_MINUTE: '100000' });
  });
  afterAll(() => sandbox?.close());

  it('loads 100,000 readings in one call and pages through them', async () => {
    const user = (await (
      await fetch(`${sandbox.baseUrl}/admin/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'bulk@sandbox.test', password: 'password-123' }),
      })
    ).json()) as Json;
    const started = performance.now();
    const response = await fetch(`${sandbox.baseUrl}/admin/users/${user.id}/readings/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'bloodpressure', from: '2015-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z', count: 100_000, seed: 11 }),
    });
    const seconds = (performance.now() - started) / 1000;
    const result = (await response.json()) as Json;
    expect(response.status).toBe(201);
    expect(result).toMatchObject({ received: 100_000, inserted: 100_000 });
    console.log(
      `Bulk load: 100000 blood-pressure readings in ${seconds.toFixed(2)} s (${Math.round(100_000 / seconds)} readings/s; storing them took ${result.milliseconds} ms)`,
    );

    const token = await sandbox.token(user.id, ['bloodpressure']);
    const page = await fetch(`${sandbox.baseUrl}/stg/api/measurement`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: new URLSearchParams({ type: 'bloodpressure', since: '2024-12-31' }),
    });
    const body = (await page.json()) as Json;
    expect(body.result.bloodPressure.length).toBeGreaterThan(5);
    expect(body.result.bloodPressure.length).toBeLessThan(40);
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
});
