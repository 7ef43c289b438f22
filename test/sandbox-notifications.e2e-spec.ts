import { startNotificationReceiver } from './support/notification-receiver.js';
import { startSandboxHarness, type Json, type SandboxHarness } from './support/sandbox-harness.js';

const reading = (at: string) => ({
  type: 'bloodpressure' as const,
  measuredAt: new Date(at),
  deviceType: 'M700 Intelli IT',
  values: { systolic: 120, diastolic: 80, pulse: 64, possibleAfib: false },
});

/** Polls the sandbox's notification log until `done` holds for it (no fixed sleeps: the machine may be slow). */
async function waitForLog(sandbox: SandboxHarness, query: string, done: (log: Json[]) => boolean): Promise<Json[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const log = (await (await fetch(`${sandbox.baseUrl}/admin/notifications?${query}`)).json()) as Json[];
    if (done(log)) return log;
    if (Date.now() > deadline) throw new Error(`notification log never reached the expected state: ${JSON.stringify(log)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('OMRON sandbox notifications', () => {
  const harnesses: SandboxHarness[] = [];
  afterAll(async () => {
    for (const harness of harnesses.reverse()) await harness.stop();
    await harnesses[0]?.database.drop();
  });

  it('POSTs {id, timestamp, type} as JSON to the app when readings arrive, and retries after a 500', async () => {
    const sandbox = await startSandboxHarness({ SANDBOX_NOTIFICATION_RETRY_SECONDS: '1,1' });
    harnesses.push(sandbox);
    const receiver = await startNotificationReceiver([500]);
    try {
      const user = await sandbox.user('notify@sandbox.test');
      await sandbox.token(user.id, ['bloodpressure', 'weight'], { clientId: 'notified-app', notificationUri: receiver.url });
      // An app without the scope and one without a Notification URI hear nothing.
      await sandbox.token(user.id, ['activity'], { clientId: 'activity-app', notificationUri: receiver.url });
      await sandbox.token(user.id, ['bloodpressure'], { clientId: 'silent-app', notificationUri: null });
      const before = Date.now();
      const result = await sandbox.ingest(user.id, [reading('2024-05-01T07:30:00Z'), reading('2024-05-01T19:30:00Z')]);
      expect(result).toMatchObject({ inserted: 2, notificationsQueued: 1 });

      const [failed, retried] = await receiver.waitFor(2);
      expect(failed.answeredWith).toBe(500);
      expect(retried.answeredWith).toBe(200);
      expect(retried.contentType).toBe('application/json');
      expect(retried.body).toEqual({ id: user.sub, timestamp: expect.any(Number), type: 'bloodpressure' });
      expect((retried.body as { timestamp: number }).timestamp).toBeGreaterThanOrEqual(before - 1000);
      // The retry waited for the schedule's first delay.
      expect(retried.at - failed.at).toBeGreaterThanOrEqual(900);

      const log = (await (await fetch(`${sandbox.baseUrl}/admin/notifications?userId=${user.id}`)).json()) as Json;
      expect(log).toEqual([expect.objectContaining({ clientId: 'notified-app', status: 'delivered', attempts: 2, lastStatus: 200 })]);
    } finally {
      await receiver.close();
    }
  });

  it('gives a notification up after the last retry', async () => {
    const sandbox = harnesses[0];
    const receiver = await startNotificationReceiver([503, 503, 503]);
    try {
      const user = await sandbox.user('give-up@sandbox.test');
      await sandbox.token(user.id, ['bloodpressure'], { clientId: 'flaky-app', notificationUri: receiver.url });
      await sandbox.ingest(user.id, [reading('2024-05-02T07:30:00Z')]);
      await receiver.waitFor(3);
      const log = await waitForLog(sandbox, 'clientId=flaky-app', (rows) => rows.every((row) => row.status !== 'pending'));
      expect(log).toEqual([expect.objectContaining({ status: 'given-up', attempts: 3, lastStatus: 503, lastError: 'HTTP 503' })]);
      expect(receiver.received).toHaveLength(3);
    } finally {
      await receiver.close();
    }
  });

  it('keeps undelivered notifications in the database across a restart', async () => {
    // Many short retries, so the notification is still waiting however long the stop below takes.
    await harnesses[0].stop();
    const first = await startSandboxHarness({ SANDBOX_NOTIFICATION_RETRY_SECONDS: Array(20).fill('2').join(',') }, harnesses[0].database);
    harnesses.push(first);
    const user = await first.user('restart@sandbox.test');
    // Nothing listens there yet: the first attempt fails and the notification waits for its retry.
    const receiver = await startNotificationReceiver();
    const url = receiver.url;
    await receiver.close();
    await first.token(user.id, ['bloodpressure'], { clientId: 'restart-app', notificationUri: url });
    await first.ingest(user.id, [reading('2024-05-03T07:30:00Z')]);
    await waitForLog(
      first,
      'clientId=restart-app',
      (rows) => rows.length === 1 && rows[0].lastError !== null && rows[0].status === 'pending',
    );
    await first.stop();

    const port = Number(new URL(url).port);
    const { createServer } = await import('node:http');
    const bodies: unknown[] = [];
    const server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk) => (text += chunk));
      request.on('end', () => {
        bodies.push(JSON.parse(text));
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const second = await startSandboxHarness({ SANDBOX_NOTIFICATION_RETRY_SECONDS: '1,1' }, first.database);
      harnesses.push(second);
      const deadline = Date.now() + 60_000;
      while (bodies.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(bodies).toEqual([{ id: user.sub, timestamp: expect.any(Number), type: 'bloodpressure' }]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
