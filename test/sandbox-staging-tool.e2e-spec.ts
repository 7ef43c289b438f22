import ExcelJS from 'exceljs';
import { startNotificationReceiver } from './support/notification-receiver.js';
import { startSandboxHarness, type Json, type SandboxHarness } from './support/sandbox-harness.js';

describe('OMRON sandbox staging tool (admin JSON API and spreadsheet)', () => {
  let sandbox: SandboxHarness;
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${sandbox.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json().catch(() => null)) as Json };
  };

  beforeAll(async () => {
    sandbox = await startSandboxHarness({ SANDBOX_RATE_LIMIT_PER_MINUTE: '100000' });
  });
  afterAll(() => sandbox?.close());

  it('creates a test user with preferences and refuses a second one with the same e-mail', async () => {
    const created = await api('POST', '/admin/users', {
      email: 'Tool@Sandbox.test',
      password: 'password-123',
      timeZone: 'Asia/Tokyo',
      weightUnit: 'lb',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      email: 'tool@sandbox.test',
      sub: expect.any(String),
      preferences: { timeZone: 'Asia/Tokyo', weightUnit: 'lb' },
      readings: {},
    });
    expect((await api('POST', '/admin/users', { email: 'tool@sandbox.test', password: 'password-123' })).status).toBe(409);
    expect((await api('POST', '/admin/users', { email: 'x@sandbox.test', password: 'password-123', timeZone: 'Mars/Base' })).status).toBe(
      400,
    );
    expect((await api('POST', '/admin/users', { email: 'not-an-email', password: 'short' })).status).toBe(400);
  });

  it('generates plausible, repeatable readings with some AFib, and notifies authorised apps', async () => {
    const receiver = await startNotificationReceiver();
    try {
      const { body: user } = await api('POST', '/admin/users', { email: 'generate@sandbox.test', password: 'password-123' });
      await sandbox.token(user.id, ['bloodpressure'], { clientId: 'tool-app', notificationUri: receiver.url });
      const request = {
        type: 'bloodpressure',
        from: '2024-01-01T00:00:00Z',
        to: '2024-07-01T00:00:00Z',
        count: 2000,
        seed: 7,
        afibRate: 0.05,
      };
      const generated = await api('POST', `/admin/users/${user.id}/readings/generate`, request);
      expect(generated.status).toBe(201);
      expect(generated.body).toMatchObject({
        received: 2000,
        inserted: 2000,
        byType: { bloodpressure: 2000 },
        seed: 7,
        notificationsQueued: 1,
      });
      // The same seed again: the same readings, all already there.
      expect((await api('POST', `/admin/users/${user.id}/readings/generate`, request)).body).toMatchObject({ inserted: 0 });
      await receiver.waitFor(1);
      expect(receiver.received[0].body).toMatchObject({ id: user.sub, type: 'bloodpressure' });

      const token = await sandbox.token(user.id, ['bloodpressure']);
      const response = await fetch(`${sandbox.baseUrl}/stg/api/measurement`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: new URLSearchParams({ type: 'bloodpressure', limit: '1000' }),
      });
      const readings = ((await response.json()) as Json).result.bloodPressure as {
        systolic: number;
        diastolic: number;
        pulse: number;
        possibleAfib?: boolean;
      }[];
      const normal = readings.filter((reading) => !reading.possibleAfib);
      const afib = readings.filter((reading) => reading.possibleAfib);
      expect(afib.length).toBeGreaterThan(10);
      expect(afib.length).toBeLessThan(120);
      expect(afib.every((reading) => reading.systolic === 0 && reading.diastolic === 0 && reading.pulse === 0)).toBe(true);
      for (const reading of normal) {
        expect(reading.systolic).toBeGreaterThan(reading.diastolic + 15);
        expect(reading.systolic).toBeGreaterThanOrEqual(85);
        expect(reading.systolic).toBeLessThanOrEqual(210);
        expect(reading.pulse).toBeGreaterThanOrEqual(40);
      }
    } finally {
      await receiver.close();
    }
  });

  it.each([
    [{ type: 'glucose', from: '2024-01-01', to: '2024-02-01', count: 5 }],
    [{ type: 'weight', from: '2024-02-01', to: '2024-01-01', count: 5 }],
    [{ type: 'activity', from: '2024-01-01', to: '2024-01-11', count: 20 }],
    [{ type: 'weight', from: '2024-01-01', to: '2024-01-02', count: 2_000_000 }],
    [{ type: 'weight', from: 'yesterday', to: '2024-01-02', count: 5 }],
    [{ type: 'weight', from: '2024-01-01', to: '2024-01-02', count: 5, extra: true }],
  ])('refuses generate %j with 400', async (body) => {
    const { body: user } = await api('POST', '/admin/users', { email: `bad-${Math.random()}@sandbox.test`, password: 'password-123' });
    const response = await api('POST', `/admin/users/${user.id}/readings/generate`, body);
    expect(response.status).toBe(400);
    expect((await api('GET', `/admin/users/${user.id}`)).body.readings).toEqual({});
  });

  it('answers 404 for an unknown user', async () => {
    expect(
      (
        await api('POST', '/admin/users/00000000-0000-4000-8000-000000000000/readings/generate', {
          type: 'weight',
          from: '2024-01-01',
          to: '2024-01-02',
          count: 1,
        })
      ).status,
    ).toBe(404);
    expect((await api('GET', '/admin/users/not-a-uuid')).status).toBe(404);
  });

  it('takes device-style JSON uploads and lists every problem of a bad one without storing any of it', async () => {
    const { body: user } = await api('POST', '/admin/users', { email: 'device@sandbox.test', password: 'password-123' });
    const bad = await api('POST', `/admin/users/${user.id}/readings`, {
      readings: [
        { type: 'bloodpressure', dateTime: '2024-05-01T07:30:00Z', systolic: 120, diastolic: 80, pulse: 60 },
        { type: 'bloodpressure', dateTime: 'yesterday', systolic: 'high', diastolic: 80, pulse: 60 },
        { type: 'temperature', dateTime: '2024-05-01T07:30:00Z', celsius: 99 },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.problems).toEqual([
      expect.stringContaining('readings[1].dateTime'),
      expect.stringContaining('readings[1].systolic'),
      expect.stringContaining('readings[2].celsius'),
    ]);
    expect((await api('GET', `/admin/users/${user.id}`)).body.readings).toEqual({});

    const good = await api('POST', `/admin/users/${user.id}/readings`, {
      readings: [{ type: 'oxygen', dateTime: '2024-05-01T07:30:00Z', utcOffsetSeconds: 32400, spo2: 97, pulse: 66 }],
    });
    expect(good).toMatchObject({ status: 201, body: { inserted: 1 } });
  });

  it('serves an Excel template that, uploaded as it is, stores its sample readings in the user time zone', async () => {
    const { body: user } = await api('POST', '/admin/users', {
      email: 'excel@sandbox.test',
      password: 'password-123',
      timeZone: 'America/Chicago',
    });
    const template = await fetch(`${sandbox.baseUrl}/tool/readings/template.xlsx`);
    expect(template.headers.get('content-type')).toContain('spreadsheetml');
    const workbook = Buffer.from(await template.arrayBuffer());
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(workbook as unknown as ArrayBuffer);
    expect(book.worksheets.map((sheet) => sheet.name)).toEqual([
      'Instructions',
      'Blood pressure',
      'Weight',
      'Activity',
      'Temperature',
      'Oxygen',
    ]);

    const form = new FormData();
    form.set('file', new Blob([workbook]), 'readings.xlsx');
    const uploaded = await fetch(`${sandbox.baseUrl}/admin/users/${user.id}/readings/spreadsheet`, { method: 'POST', body: form });
    expect(uploaded.status).toBe(201);
    expect((await uploaded.json()) as Json).toMatchObject({
      inserted: 9,
      byType: { bloodpressure: 3, weight: 2, activity: 2, temperature: 1, oxygen: 1 },
    });

    const token = await sandbox.token(user.id, ['bloodpressure', 'weight']);
    const response = await fetch(`${sandbox.baseUrl}/stg/api/measurement`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: new URLSearchParams({ sortOrder: 'asc' }),
    });
    const { result } = (await response.json()) as Json;
    expect(result.bloodPressure[0]).toMatchObject({
      dateTimeLocal: '2024-05-01T07:30:00',
      dateTime: '2024-05-01T12:30:00',
      dateTimeUtcOffset: '-05:00',
      systolic: 128,
    });
    expect(result.bloodPressure[2]).toMatchObject({ possibleAfib: true, systolic: 0 });
    expect(result.weight[0]).toMatchObject({ weight: '71.6', bodyFatPercentage: '-1.0', dateTimeUtcOffset: '-18000' });
    expect(result.weight[1]).toMatchObject({ bodyFatPercentage: '24.1', restingMetabolism: '1480.0' });
  });

  it('refuses a broken spreadsheet, naming sheet and row', async () => {
    const { body: user } = await api('POST', '/admin/users', { email: 'broken@sandbox.test', password: 'password-123' });
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Blood pressure');
    sheet.addRow(['When', 'Systolic', 'Diastolic', 'Pulse', 'AFib', 'Device']);
    sheet.addRow(['2024-05-01 07:30', 'high', 80, 60, 'no', 'M7']);
    sheet.addRow(['first of May', 120, 80, 60, 'no', 'M7']);
    const form = new FormData();
    form.set('file', new Blob([Buffer.from(await book.xlsx.writeBuffer())]), 'broken.xlsx');
    const response = await fetch(`${sandbox.baseUrl}/admin/users/${user.id}/readings/spreadsheet`, { method: 'POST', body: form });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Json).problems).toEqual([
      expect.stringContaining('Blood pressure row 3'),
      expect.stringMatching(/^Blood pressure row 2: systolic/),
    ]);

    const notExcel = new FormData();
    notExcel.set('file', new Blob(['hello']), 'hello.xlsx');
    expect((await fetch(`${sandbox.baseUrl}/admin/users/${user.id}/readings/spreadsheet`, { method: 'POST', body: notExcel })).status).toBe(
      400,
    );
  });
});
