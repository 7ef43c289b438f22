import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { MikroORM } from '@mikro-orm/postgresql';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import { DspConfig } from '@opendsp/config';
import { ConsentRecords, WithdrawalService } from '@opendsp/participants';
import { SyncScheduling } from '@opendsp/sync';
import { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { OpenApiClient, type OpenApiDocument } from './support/openapi-client.js';
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

type DeliveryRow = {
  id: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  body: string;
};

describe('signed webhooks', () => {
  let stack: SyncStack;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let admin: PortalTestClient;
  let user: EnrolledParticipant;
  let groupId: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    stack = await startSyncStack(
      {},
      {
        WEBHOOK_RETRY_BASE_SECONDS: '1',
        WEBHOOK_GIVE_UP_SECONDS: '4',
        DSP_LANGUAGE: 'en',
        // The receiver listens on loopback.
        WEBHOOK_ALLOW_PRIVATE_HOSTS: 'true',
      },
    );
    user = await stack.enroll('hooks@sandbox.test');
    [{ group_id: groupId }] = await stack.sql<{ group_id: string }>(
      `select group_id from program_group where display_name = 'Sync test group'`,
    );
    const account = new AdminAccount('hooks-admin', 'Hooks admin', 'hooks-admin@example.test', 'partner-admin');
    account.passwordHash = await PasswordHasher.hash('a long enough password 1');
    await stack.platform.get(MikroORM).em.fork().persist(account).flush();
    admin = new PortalTestClient(stack.platform.getHttpServer());
    expect((await admin.signIn('hooks-admin', 'a long enough password 1')).status).toBe(303);
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
  /** The secret on a page that shows it once. */
  const secretOn = (html: string) => /id="webhook-secret">(whsec_[^<]+)</.exec(html)?.[1].replaceAll('&#x3D;', '=');

  /** Adds an endpoint through the portal; returns its ID and the secret shown once. */
  async function addEndpoint(path: string): Promise<{ id: string; secret: string }> {
    await admin.get('/webhooks/new');
    const page = await admin.post('/webhooks', { url: `${receiver.url}${path}`, eventTypes: ['readings.changed'], groupIds: [groupId] });
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    const secret = secretOn(page.text);
    const id = /href="\/webhooks\/([0-9a-f-]{36})"/.exec(page.text)?.[1];
    if (!secret || !id) throw new Error(`no secret or endpoint on the page: ${page.text}`);
    return { id, secret };
  }
  const deliveriesOf = (endpointId: string) =>
    stack.sql<DeliveryRow>(
      `select id, status, attempts, last_status_code, last_error, body from webhook_delivery where endpoint_id = $1 order by created_at desc, id desc`,
      [endpointId],
    );
  const counts = async () =>
    (
      await stack.sql<{ endpoints: number; deliveries: number; audit: number }>(
        `select (select count(*)::int from webhook_endpoint) as endpoints, (select count(*)::int from webhook_delivery) as deliveries,
                (select count(*)::int from audit_event where action like 'webhook%') as audit`,
      )
    )[0];

  it('sends synced readings as signed readings.changed events, in the API JSON, with contiguous change-sequence ranges', async () => {
    const { id, secret } = await addEndpoint('/ok');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    // Stored only encrypted, and never shown again.
    const [row] = await stack.sql<{ secret_ciphertext: string }>(`select secret_ciphertext from webhook_endpoint where id = $1`, [id]);
    expect(row.secret_ciphertext).not.toContain(secret.slice(6));
    expect((await admin.get(`/webhooks/${id}`)).text).not.toContain(secret);
    expect((await admin.get('/webhooks')).text).not.toContain(secret);

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
    // Messages may arrive in any order (they are sent in parallel): in change order, their ranges are contiguous.
    const bodies = events
      .map((message) => JSON.parse(message.body) as ReadingsEvent)
      .sort((a, b) => Number(BigInt(a.data.after_change_seq) - BigInt(b.data.after_change_seq)));
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
    // The delivery log: every message delivered at the first attempt.
    const log = await deliveriesOf(id);
    expect(log).toHaveLength(events.length);
    expect(log.every((delivery) => delivery.status === 'succeeded' && delivery.attempts === 1 && delivery.last_status_code === 204)).toBe(
      true,
    );
    const page = await admin.get(`/webhooks/${id}`);
    for (const delivery of log) expect(page.text).toContain(delivery.id);
  }, 180_000);

  it('retries a failing receiver with backoff, then fails the delivery, disables the endpoint and alerts; replay sends the same message', async () => {
    receiver.answer.set('/down', 503);
    const { id, secret } = await addEndpoint('/down');
    await syncReadings(2, { temperature: 3 });

    await waitFor(
      'the endpoint disabled',
      async () => {
        const [endpoint] = await stack.sql<{ enabled: boolean; disabled_reason: string }>(
          `select enabled, disabled_reason from webhook_endpoint where id = $1`,
          [id],
        );
        return !endpoint.enabled && endpoint.disabled_reason === 'failing';
      },
      60_000,
    );
    const [failed] = await deliveriesOf(id);
    expect(failed).toEqual(expect.objectContaining({ status: 'failed', last_status_code: 503, last_error: 'HTTP 503' }));
    expect(failed.attempts).toBeGreaterThanOrEqual(3);
    const attempts = at('/down');
    expect(attempts.length).toBe(failed.attempts);
    expect(new Set(attempts.map((message) => message.headers['webhook-id']))).toEqual(new Set([failed.id]));
    expect(attempts.every((message) => verifies(message, secret))).toBe(true);
    // Backoff: attempt n + 1 waits at least base × 2^(n-1) (1 s, 2 s, 4 s…) after attempt n started.
    attempts.slice(1).forEach((message, index) => {
      expect(message.receivedAt - attempts[index].receivedAt).toBeGreaterThanOrEqual(1000 * 2 ** index - 250);
    });
    // The portal's alert, on the list and on the endpoint's page.
    expect((await admin.get('/webhooks')).text).toContain('data-alert="webhook-failing"');
    expect((await admin.get(`/webhooks/${id}`)).text).toContain('data-alert="webhook-failing"');

    // The receiver is back: switched on again and replayed, the same message (same webhook-id and body) goes through.
    receiver.answer.set('/down', 200);
    expect((await admin.post(`/webhooks/${id}/enable`)).status).toBe(303);
    expect((await admin.post(`/webhooks/${id}/deliveries/${failed.id}/replay`)).status).toBe(303);
    await waitFor('the replay delivered', async () => (await deliveriesOf(id))[0].status === 'succeeded', 30_000);
    const last = at('/down').at(-1)!;
    expect(last.headers['webhook-id']).toBe(failed.id);
    expect(last.body).toBe(failed.body);
    expect(verifies(last, secret)).toBe(true);
    expect((await admin.get('/webhooks')).text).not.toContain('data-alert="webhook-failing"');
    const audit = await stack.sql<{ action: string }>(`select action from audit_event where target_id in ($1, $2) order by id`, [
      id,
      failed.id,
    ]);
    expect(audit.map((event) => event.action)).toEqual([
      'webhook_endpoint.created',
      'webhook_endpoint.enabled',
      'webhook_delivery.replayed',
    ]);
  }, 180_000);

  it('rotates a secret with an overlap in which both secrets sign, then only the new one', async () => {
    const { id, secret: first } = await addEndpoint('/rotate');
    await syncReadings(3, { oxygen: 2 });
    const [sent] = await waitFor('an event', async () => at('/rotate').length > 0 && at('/rotate'));
    expect(verifies(sent, first)).toBe(true);
    const [delivery] = await deliveriesOf(id);

    const rotated = await admin.post(`/webhooks/${id}/rotate`);
    const second = secretOn(rotated.text)!;
    expect(second).toMatch(/^whsec_/);
    expect(second).not.toBe(first);
    await admin.post(`/webhooks/${id}/deliveries/${delivery.id}/replay`);
    const during = await waitFor('the replay during the overlap', async () => at('/rotate').length > 1 && at('/rotate')[1]);
    expect(during.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect([verifies(during, first), verifies(during, second)]).toEqual([true, true]);

    await stack.sql(`update webhook_endpoint set previous_secret_until = now() - interval '1 second' where id = $1`, [id]);
    await admin.post(`/webhooks/${id}/deliveries/${delivery.id}/replay`);
    const after = await waitFor('the replay after the overlap', async () => at('/rotate').length > 2 && at('/rotate')[2]);
    expect(after.headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect([verifies(after, first), verifies(after, second)]).toEqual([false, true]);
    const audit = await stack.sql<{ action: string }>(`select action from audit_event where target_id = $1 order by id`, [id]);
    expect(audit.map((event) => event.action)).toEqual(['webhook_endpoint.created', 'webhook_endpoint.secret_rotated']);
  }, 180_000);

  it('answers bad portal input with a friendly 4xx and changes nothing', async () => {
    const before = await counts();
    await admin.get('/webhooks/new');
    const bad = await admin.post('/webhooks', { url: 'ftp://partner.example/hook', eventTypes: ['readings.exploded'], groupIds: [] });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('Enter an http:// or https:// address.');
    expect(bad.text).toContain('value="ftp://partner.example/hook"');
    const unknownGroup = await admin.post('/webhooks', {
      url: `${receiver.url}/x`,
      eventTypes: ['readings.changed'],
      groupIds: ['ZZZZZZZZZZZZ'],
    });
    expect(unknownGroup.status).toBe(422);
    expect(unknownGroup.text).toContain('does not exist');
    // As in production by default: addresses in the platform's own network are refused.
    const settings = stack.platform.get(DspConfig).webhooks;
    settings.allowPrivateHosts = false;
    try {
      for (const url of ['http://127.0.0.1:8080/hook', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/hook']) {
        const refused = await admin.post('/webhooks', { url, eventTypes: ['readings.changed'], groupIds: [groupId] });
        expect(refused.status).toBe(422);
        expect(refused.text).toContain('private or internal network');
      }
    } finally {
      settings.allowPrivateHosts = true;
    }
    for (const path of ['/webhooks/not-a-uuid', '/webhooks/00000000-0000-4000-8000-000000000000'])
      expect((await admin.get(path)).status).toBe(404);
    const [{ id }] = await stack.sql<{ id: string }>(`select id from webhook_endpoint where enabled order by created_at limit 1`);
    expect((await admin.post(`/webhooks/${id}/deliveries/msg_nothing/replay`)).status).toBe(404);
    expect((await admin.post(`/webhooks/00000000-0000-4000-8000-000000000000/rotate`)).status).toBe(404);
    expect((await admin.post(`/webhooks/${id}/disable`, {}, { csrf: false })).status).toBe(403);
    expect(await counts()).toEqual(before);
    const [endpoint] = await stack.sql<{ enabled: boolean }>(`select enabled from webhook_endpoint where id = $1`, [id]);
    expect(endpoint.enabled).toBe(true);
  });

  it('sends participant.consented and participant.withdrawn to endpoints of the group that subscribed to them', async () => {
    await admin.get('/webhooks/new');
    const page = await admin.post('/webhooks', {
      url: `${receiver.url}/people`,
      eventTypes: ['participant.consented', 'participant.withdrawn'],
      groupIds: [groupId],
    });
    const secret = secretOn(page.text)!;
    const [{ ogsc_id: ogscId, enrollment_id: enrollmentId }] = await stack.sql<{ ogsc_id: string; enrollment_id: string }>(
      `select p.ogsc_id, e.id as enrollment_id from participant p join enrollment e on e.participant_id = p.id where p.id = $1`,
      [user.participantId],
    );
    // The consent flow records a consent this way (libs/consent); the event is queued in the same transaction.
    const [{ id: groupRowId }] = await stack.sql<{ id: string }>(`select id from program_group where group_id = $1`, [groupId]);
    await stack.platform
      .get(ConsentRecords)
      .consent(user.participantId, { id: groupRowId, groupId }, ['bloodpressure'], new Date(), '203.0.113.9');
    const [{ consented_at: consentedAt }] = await stack.sql<{ consented_at: Date }>(`select consented_at from enrollment where id = $1`, [
      enrollmentId,
    ]);
    const withdrawal = await stack.platform
      .get(WithdrawalService)
      .withdraw(enrollmentId, { kind: 'admin', adminId: '00000000-0000-4000-8000-000000000001', login: 'hooks-admin' });
    expect(withdrawal).toBeTruthy();
    const messages = await waitFor('both events', async () => at('/people').length >= 2 && at('/people'));
    expect(messages.every((message) => verifies(message, secret))).toBe(true);
    const bodies = messages.map((message) => JSON.parse(message.body) as { type: string; data: Record<string, unknown> });
    expect(bodies.map((body) => body.type).sort()).toEqual(['participant.consented', 'participant.withdrawn']);
    expect(bodies.find((body) => body.type === 'participant.consented')!.data).toEqual({
      ogsc_id: ogscId,
      group_id: groupId,
      scopes: ['bloodpressure'],
      consented_at: consentedAt.toISOString(),
    });
    expect(bodies.find((body) => body.type === 'participant.withdrawn')!.data).toEqual(
      expect.objectContaining({ ogsc_id: ogscId, group_id: groupId, by: 'admin' }),
    );
    // The readings endpoints did not subscribe to these events.
    expect(at('/ok').some((message) => message.body.includes('"participant.'))).toBe(false);
  }, 60_000);

  it("sends connection.reconnect_needed when OMRON refuses a group participant's refresh token", async () => {
    await admin.get('/webhooks/new');
    const page = await admin.post('/webhooks', {
      url: `${receiver.url}/reconnect`,
      eventTypes: ['connection.reconnect_needed'],
      groupIds: [groupId],
    });
    const secret = secretOn(page.text)!;
    const other = await stack.enroll('reconnect@sandbox.test');
    // The user revoked the app at OMRON; the next refresh meets invalid_grant.
    await stack.revokeAtOmron(other.connection.id);
    await stack.makeDue(other.connection.id);
    await expect(stack.tokens.accessToken(other.connection.id)).rejects.toThrow();

    const [message] = await waitFor('the event', async () => at('/reconnect').length > 0 && at('/reconnect'));
    expect(verifies(message, secret)).toBe(true);
    const [{ ogsc_id: ogscId }] = await stack.sql<{ ogsc_id: string }>(`select ogsc_id from participant where id = $1`, [
      other.participantId,
    ]);
    expect(JSON.parse(message.body)).toEqual({
      type: 'connection.reconnect_needed',
      timestamp: expect.any(String),
      data: { ogsc_id: ogscId, group_ids: [groupId], reason: 'invalid_grant', occurred_at: expect.any(String) },
    });
  }, 60_000);

  it('links to the change feed instead of carrying readings whose event would exceed the size limit', async () => {
    const settings = stack.platform.get(DspConfig).webhooks;
    const { secret } = await addEndpoint('/small');
    const limit = settings.maxPayloadBytes;
    // The first user has withdrawn by now, and the second's connection needs reconnecting (so sync never looks
    // idle again): a third user's readings, waited for as the event itself.
    const fresh = await stack.enroll('small@sandbox.test');
    settings.maxPayloadBytes = 1024;
    try {
      await stack.generate(fresh.sandboxUserId, { from: '2026-03-01', to: '2026-04-01', seed: 4, type: 'bloodpressure', count: 20 });
      await stack.platform.get(SyncScheduling).requestBackfill(fresh.participantId);
      // One event per written page of readings: wait for all 20.
      const total = (messages: Received[]) =>
        messages.reduce((sum, message) => sum + (JSON.parse(message.body) as ReadingsEvent).data.count, 0);
      const messages = await waitFor('the events', async () => total(at('/small')) >= 20 && at('/small'), 60_000);
      expect(total(messages)).toBe(20);
      for (const message of messages) {
        expect(verifies(message, secret)).toBe(true);
        expect(Buffer.byteLength(message.body)).toBeLessThanOrEqual(1024);
        const { data } = JSON.parse(message.body) as ReadingsEvent & { data: { readings_omitted?: boolean } };
        expect(data.readings).toBeUndefined();
        expect(data.readings_omitted).toBe(true);
        expect(BigInt(data.through_change_seq) > BigInt(data.after_change_seq)).toBe(true);
        expect(data.changes_url).toMatch(new RegExp(`/api/v1/changes\\?since=${data.after_change_seq}$`));
      }
    } finally {
      settings.maxPayloadBytes = limit;
    }
  }, 180_000);

  it('runs the dispatcher and the delivery log pruning on the worker schedule', () => {
    expect(stack.platform.get(SchedulerRegistry).getIntervals()).toEqual(expect.arrayContaining(['webhooks', 'webhook-delivery-prune']));
  });

  it('sent only bodies that match the events the OpenAPI document describes under webhooks', () => {
    const documented = new OpenApiClient(
      JSON.parse(readFileSync(new URL('../docs/openapi.json', import.meta.url), 'utf8')) as OpenApiDocument,
      '',
    );
    const types = new Set<string>();
    for (const message of receiver.received) {
      const body = JSON.parse(message.body) as { type: string };
      documented.checkWebhook(body.type, body);
      types.add(body.type);
    }
    expect([...types].sort()).toEqual([
      'connection.reconnect_needed',
      'participant.consented',
      'participant.withdrawn',
      'readings.changed',
    ]);
    expect(() => documented.checkWebhook('participant.withdrawn', { type: 'participant.withdrawn', timestamp: 'now', data: {} })).toThrow();
  });
});
