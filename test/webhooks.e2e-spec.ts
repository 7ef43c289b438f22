import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { SyncScheduling } from '@opendsp/sync';
import { WebhookEndpoints } from '@opendsp/webhooks';
import { startSyncStack, waitFor, type EnrolledParticipant, type SyncStack } from './support/sync-stack.js';

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
}

/** A partner's receiver: answers each path with the status set for it and keeps every request as it came. */
function startReceiver(): Promise<{ server: Server; url: string; received: Received[]; answer: Map<string, number> }> {
  const received: Received[] = [];
  const answer = new Map<string, number>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
      received.push({ path: request.url ?? '', headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() });
      response.statusCode = answer.get(request.url ?? '') ?? 204;
      response.end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, answer }),
    ),
  );
}

/** True when the message verifies with `secret` (the package checks the signature and the timestamp's freshness). */
function verifies(message: Received, secret: string): boolean {
  try {
    new Webhook(secret).verify(message.body, message.headers);
    return true;
  } catch {
    return false;
  }
}

interface ReadingsEvent {
  type: string;
  timestamp: string;
  data: {
    after_change_seq: string;
    through_change_seq: string;
    count: number;
    changes_url: string;
    readings?: { upstreamId: string; kind: string; changeSeq: number; ogscId: string }[];
  };
}

describe('signed webhooks', () => {
  let stack: SyncStack;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let endpoints: WebhookEndpoints;
  let user: EnrolledParticipant;
  let groupId: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    stack = await startSyncStack({}, { WEBHOOK_RETRY_BASE_SECONDS: '1', WEBHOOK_GIVE_UP_SECONDS: '4' });
    endpoints = stack.platform.get(WebhookEndpoints);
    user = await stack.enroll('hooks@sandbox.test');
    [{ id: groupId }] = await stack.sql<{ id: string }>(`select id from program_group where display_name = 'Sync test group'`);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    receiver?.server.close();
  });

  /** Readings for the test user, synced. */
  async function syncReadings(seed: number, counts: Record<string, number>): Promise<void> {
    for (const [type, count] of Object.entries(counts))
      await stack.generate(user.sandboxUserId, { from: '2026-03-01', to: '2026-04-01', seed, type, count });
    await stack.platform.get(SyncScheduling).requestBackfill(user.participantId);
    await stack.waitForIdle(120_000);
  }
  const at = (path: string) => receiver.received.filter((message) => message.path === path);

  it('sends synced readings as signed readings.changed events, in the API JSON, with contiguous change-sequence ranges', async () => {
    const { endpoint, secret } = await endpoints.create({
      url: `${receiver.url}/ok`,
      eventTypes: ['readings.changed'],
      groupIds: [groupId],
    });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    // Stored only encrypted.
    const [row] = await stack.sql<{ secret_ciphertext: string }>(`select secret_ciphertext from webhook_endpoint where id = $1`, [
      endpoint.id,
    ]);
    expect(row.secret_ciphertext).not.toContain(secret.slice(6));

    await syncReadings(1, { bloodpressure: 30, weight: 12 });
    const [{ stored }] = await stack.sql<{ stored: number }>(
      `select (select count(*) from blood_pressure_reading where participant_id = $1) + (select count(*) from weight_reading where participant_id = $1) as stored`,
      [user.participantId],
    );
    expect(Number(stored)).toBe(42);
    const events = await waitFor('every reading as an event', async () => {
      const messages = at('/ok');
      const count = messages.reduce((sum, message) => sum + (JSON.parse(message.body) as ReadingsEvent).data.count, 0);
      return count >= 42 && messages;
    });

    for (const message of events) {
      expect(message.headers['content-type']).toBe('application/json');
      expect(message.headers['webhook-id']).toMatch(/^msg_/);
      expect(verifies(message, secret)).toBe(true);
      expect(verifies({ ...message, body: message.body.replace('"count"', '"Count"') }, secret)).toBe(false);
    }
    expect(new Set(events.map((message) => message.headers['webhook-id'])).size).toBe(events.length);
    const bodies = events.map((message) => JSON.parse(message.body) as ReadingsEvent);
    bodies.forEach((body, index) => {
      expect(body.type).toBe('readings.changed');
      if (index > 0) expect(body.data.after_change_seq).toBe(bodies[index - 1].data.through_change_seq);
      expect(body.data.readings).toHaveLength(body.data.count);
      expect(body.data.changes_url).toMatch(new RegExp(`/api/v1/changes\\?since=${body.data.after_change_seq}$`));
      expect(String(body.data.readings!.at(-1)!.changeSeq)).toBe(body.data.through_change_seq);
    });
    const readings = bodies.flatMap((body) => body.data.readings!);
    const ids = await stack.sql<{ kind: string; id: string }>(
      `select 'blood_pressure' as kind, upstream_id::text as id from blood_pressure_reading where participant_id = $1
       union all select 'weight', upstream_id::text from weight_reading where participant_id = $1`,
      [user.participantId],
    );
    expect(readings.map((reading) => `${reading.kind}:${reading.upstreamId}`).sort()).toEqual(
      ids.map((row) => `${row.kind}:${row.id}`).sort(),
    );
    expect(new Set(readings.map((reading) => reading.ogscId)).size).toBe(1);
    // Every delivery is logged as succeeded.
    expect(await endpoints.deliveries(endpoint.id)).toEqual(
      expect.arrayContaining([expect.objectContaining({ status: 'succeeded', attempts: 1, lastStatusCode: 204 })]),
    );
    expect((await endpoints.deliveries(endpoint.id)).every((delivery) => delivery.status === 'succeeded')).toBe(true);
  }, 180_000);

  it('retries a failing receiver with backoff, then fails the delivery and disables the endpoint; replay sends the same message again', async () => {
    receiver.answer.set('/down', 503);
    const { endpoint, secret } = await endpoints.create({
      url: `${receiver.url}/down`,
      eventTypes: ['readings.changed'],
      groupIds: [groupId],
    });
    await syncReadings(2, { temperature: 3 });

    const disabled = await waitFor(
      'the endpoint disabled',
      async () => {
        const found = await endpoints.find(endpoint.id);
        return found && !found.enabled && found;
      },
      60_000,
    );
    expect(disabled.disabledReason).toBe('failing');
    const [failed] = await endpoints.deliveries(endpoint.id);
    expect(failed).toEqual(expect.objectContaining({ status: 'failed', lastStatusCode: 503, lastError: 'HTTP 503' }));
    expect(failed.attempts).toBeGreaterThanOrEqual(3);
    const attempts = at('/down');
    expect(attempts.length).toBe(failed.attempts);
    expect(new Set(attempts.map((message) => message.headers['webhook-id']))).toEqual(new Set([failed.id]));
    expect(attempts.every((message) => verifies(message, secret))).toBe(true);
    // Backoff: attempt n + 1 waits at least base × 2^(n-1) (1 s, 2 s, 4 s…) after attempt n started.
    attempts.slice(1).forEach((message, index) => {
      expect(message.receivedAt - attempts[index].receivedAt).toBeGreaterThanOrEqual(1000 * 2 ** index - 250);
    });

    // The receiver is back: switched on again and replayed, the same message (same webhook-id and body) goes through.
    receiver.answer.set('/down', 200);
    await endpoints.setEnabled(endpoint.id, true);
    await endpoints.replay(failed.id);
    await waitFor('the replay delivered', async () => (await endpoints.deliveries(endpoint.id))[0].status === 'succeeded', 30_000);
    const last = at('/down').at(-1)!;
    expect(last.headers['webhook-id']).toBe(failed.id);
    expect(last.body).toBe(failed.body);
    expect(verifies(last, secret)).toBe(true);
  }, 180_000);

  it('rotates a secret with an overlap in which both secrets sign, then only the new one', async () => {
    const { endpoint, secret: first } = await endpoints.create({
      url: `${receiver.url}/rotate`,
      eventTypes: ['readings.changed'],
      groupIds: [groupId],
    });
    await syncReadings(3, { oxygen: 2 });
    const [sent] = await waitFor('an event', async () => at('/rotate').length > 0 && at('/rotate'));
    expect(verifies(sent, first)).toBe(true);
    const [delivery] = await endpoints.deliveries(endpoint.id);

    const second = (await endpoints.rotate(endpoint.id))!;
    expect(second).not.toBe(first);
    await endpoints.replay(delivery.id);
    const during = await waitFor('the replay during the overlap', async () => at('/rotate').length > 1 && at('/rotate')[1]);
    expect(during.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect([verifies(during, first), verifies(during, second)]).toEqual([true, true]);

    await stack.sql(`update webhook_endpoint set previous_secret_until = now() - interval '1 second' where id = $1`, [endpoint.id]);
    await endpoints.replay(delivery.id);
    const after = await waitFor('the replay after the overlap', async () => at('/rotate').length > 2 && at('/rotate')[2]);
    expect(after.headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect([verifies(after, first), verifies(after, second)]).toEqual([false, true]);
  }, 180_000);
});
